#pragma once
// A client of the kernel's IPVS generic-netlink family (linux/ip_vs.h) on libnl-genl-3:
// typed values in and out, and every refusal as an IpvsError naming what it concerned.
// Requests are answered by the kernel as they are sent (netlink is synchronous); apply()
// sends many changes per system call and has only refusals and each batch's last change
// acknowledged, which is what makes large tables fast to program.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "directord/ipvs/reconcile.hpp"
#include "directord/ipvs/table.hpp"

struct nl_sock;

namespace directord::ipvs {
namespace wire {
class Request;
}

class IpvsError : public std::runtime_error {
  public:
    // `what` is the operation and the object ("add destination 10.0.0.2:80 to TCP ..."),
    // `error` the kernel's errno (0 when the failure was not the kernel's answer).
    IpvsError(const std::string& what, int error);
    int error() const { return error_; }

  private:
    int error_;
};

struct Info {
    std::uint32_t version = 0;  // 0x010201 = 1.2.1
    std::uint32_t connection_table_size = 0;
};

struct SyncDaemon {
    enum class Role : std::uint32_t { master = 1, backup = 2 };  // IP_VS_STATE_*
    Role role = Role::master;
    std::string interface;
    std::uint32_t sync_id = 0;
    // Unset (none, 0): the kernel chooses (224.0.0.81, 8848, TTL 1, the interface's MTU).
    std::optional<boost::asio::ip::address> group;
    std::uint16_t port = 0;
    std::uint8_t ttl = 0;
    std::uint16_t max_length = 0;
    bool operator==(const SyncDaemon&) const = default;
    // Whether `running` (as the kernel tells it, every value filled in) is this daemon.
    bool is(const SyncDaemon& running) const;
};
// "master on eth0, sync id 1, group 239.1.1.1, port 8848, TTL 2, max length 1400"
std::string describe(const SyncDaemon& daemon);

struct Timeouts {
    std::uint32_t tcp = 0, tcp_fin = 0, udp = 0;  // seconds; 0 = leave unchanged
    bool operator==(const Timeouts&) const = default;
};

class Client {
  public:
    Client();  // throws IpvsError when the kernel has no IPVS
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    Info info();
    int family() const { return family_; }  // the IPVS generic-netlink family's number
    // Every service with its destinations, in one go (TableReader reads it in steps).
    Table read();

    // Applies `changes` in order, up to kBatch per system call. On the first one the kernel
    // refuses, throws an IpvsError naming it (the ones sent with it in its batch were
    // applied or refused independently).
    void apply(std::span<const Change> changes);
    static constexpr std::size_t kBatch = 1024;

    void flush();  // removes every service
    void start_sync_daemon(const SyncDaemon& daemon);
    void stop_sync_daemon(SyncDaemon::Role role);
    std::vector<SyncDaemon> sync_daemons();
    void set_timeouts(const Timeouts& timeouts);
    Timeouts timeouts();

  private:
    void connect();
    template <class Exchange>
    void receive_or_reset(Exchange& exchange, const std::string& what);
    wire::Request message(std::uint8_t command, int flags);
    // `batch` with the request for `change` after it.
    std::vector<unsigned char> append(std::vector<unsigned char> batch, const Change& change,
                                      std::uint32_t sequence, bool acknowledged);
    template <class OnReply>
    void request(wire::Request message, const std::string& what, OnReply&& on_reply);
    void request(wire::Request message, const std::string& what);

    std::unique_ptr<nl_sock, void (*)(nl_sock*)> socket_;
    int family_ = 0;
    std::uint32_t sequence_ = 1;
};

}  // namespace directord::ipvs
