#pragma once
// Adds and removes VIPs through rtnetlink (libnl-route).
#include <string>

#include "directord/config/model.hpp"

struct nl_sock;

namespace directord::vrrp {

class AddressManager {
  public:
    AddressManager();  // throws IoError
    ~AddressManager();
    AddressManager(const AddressManager&) = delete;
    AddressManager& operator=(const AddressManager&) = delete;

    // Both are idempotent: adding a present address or removing an absent one succeeds.
    // Throw IoError naming the address and interface on any other failure.
    void add(int ifindex, const std::string& interface, const config::Vip& vip);
    void remove(int ifindex, const std::string& interface, const config::Vip& vip);

  private:
    nl_sock* socket_ = nullptr;
};

std::string describe(const config::Vip& vip);

}  // namespace directord::vrrp
