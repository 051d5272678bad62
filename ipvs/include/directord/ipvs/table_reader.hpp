#pragma once
// The kernel's IPVS table read a part at a time, for a loop that must keep turning: 50,000
// destinations take far longer than an advert interval to read in one go on a slow CPU. The
// dumps (the services, then each one's destinations) are consumed from a socket of the
// reader's own without waiting, a few of the kernel's datagrams per step, so no request of
// the Client's is mixed with them. The kernel makes each part of a dump as the last is read:
// a step always finds the next one ready.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "directord/ipvs/table.hpp"

struct nl_sock;
struct nlmsghdr;

namespace directord::ipvs {

class TableReader {
  public:
    // `family`: the IPVS generic-netlink family's number (Client::family()).
    explicit TableReader(int family);
    ~TableReader();
    TableReader(const TableReader&) = delete;
    TableReader& operator=(const TableReader&) = delete;

    enum class Step {
        done,     // the whole table was read
        more,     // the budget was spent: call step() again
        waiting,  // the kernel has not answered yet: call step() when fd() is readable
    };
    // Reads what the kernel has sent, for about `budget` (a datagram at least).
    // Throws IpvsError on the kernel's refusal or a malformed answer.
    Step step(std::chrono::steady_clock::duration budget);
    int fd() const;
    // Steps to the end, blocking while the kernel has not answered (off the loop: Client::read,
    // tests, benches). `after_step` is told each step's duration.
    Table read_all(std::chrono::steady_clock::duration budget,
                   const std::function<void(std::chrono::steady_clock::duration)>& after_step = {});
    // The table as read (services in the kernel's order, destinations as it lists them);
    // a service removed while it was read may be listed without its destinations.
    Table take() { return std::move(table_); }
    std::size_t steps() const { return steps_; }

  private:
    enum class Datagram { none, part, end };  // none: nothing ready; end: the dump's last
    void wait();                              // blocks until fd() is readable
    void request_next();
    Datagram read_datagram();
    void take_answer(nlmsghdr* answer);
    std::string what() const;  // the dump under way, for errors

    std::unique_ptr<nl_sock, void (*)(nl_sock*)> socket_;
    int family_;
    std::uint32_t sequence_ = 0;  // of the dump under way
    bool listing_services_ = true;
    std::size_t next_service_ = 0;  // whose destinations are read
    bool done_ = false;
    Table table_;
    std::vector<unsigned char> buffer_;
    std::size_t steps_ = 0;
};

}  // namespace directord::ipvs
