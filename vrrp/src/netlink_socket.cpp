#include "directord/vrrp/netlink_socket.hpp"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <unistd.h>

#include "directord/io_error.hpp"

namespace directord::vrrp {

NetlinkSocket::NetlinkSocket(boost::asio::io_context& io, const std::string& what,
                             const std::function<int(nl_sock*)>& setup)
    : readable_(io) {
    socket_ = nl_socket_alloc();
    if (!socket_) throw IoError("allocate", what, "out of memory");
    // Requests and notifications are matched by the owner, not by libnl's sequence check.
    nl_socket_disable_seq_check(socket_);
    int err = nl_connect(socket_, NETLINK_ROUTE);
    if (err >= 0) err = setup(socket_);
    if (err >= 0) err = nl_socket_set_nonblocking(socket_);
    if (err < 0) {
        nl_socket_free(socket_);
        throw IoError("set up", what, nl_geterror(err));
    }
    readable_.assign(dup(nl_socket_get_fd(socket_)));
}

NetlinkSocket::~NetlinkSocket() {
    boost::system::error_code ec;
    readable_.close(ec);
    nl_socket_free(socket_);
}

void NetlinkSocket::receive(std::function<void(int result)> after) {
    after_ = std::move(after);
    wait();
}

void NetlinkSocket::wait() {
    readable_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this](const boost::system::error_code& ec) {
                             if (ec == boost::asio::error::operation_aborted) return;
                             after_(nl_recvmsgs_default(socket_));
                             wait();
                         });
}

}  // namespace directord::vrrp
