#pragma once
// An rtnetlink socket of libnl read on the event loop. libnl owns the socket; Asio waits on a
// duplicate of its descriptor and hands every readable batch to libnl's callbacks.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <string>

struct nl_sock;

namespace directord::vrrp {

class NetlinkSocket {
  public:
    // Connects to NETLINK_ROUTE, runs `setup` (callbacks, memberships; returns a libnl error
    // code, < 0 on failure) and makes the socket non-blocking. Throws IoError naming `what`.
    NetlinkSocket(boost::asio::io_context& io, const std::string& what,
                  const std::function<int(nl_sock*)>& setup);
    ~NetlinkSocket();
    NetlinkSocket(const NetlinkSocket&) = delete;
    NetlinkSocket& operator=(const NetlinkSocket&) = delete;

    nl_sock* get() const { return socket_; }
    // From now on, every readable batch goes through nl_recvmsgs_default; `after` receives its
    // result (negative libnl error code when messages were lost or malformed).
    void receive(std::function<void(int result)> after);

  private:
    void wait();

    nl_sock* socket_ = nullptr;
    boost::asio::posix::stream_descriptor readable_;
    std::function<void(int)> after_;
};

}  // namespace directord::vrrp
