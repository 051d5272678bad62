#include "directord/ipvs/table_reader.hpp"

#include <fmt/format.h>
#include <linux/ip_vs.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "attributes.hpp"
#include "directord/ipvs/client.hpp"
#include "netlink.hpp"

namespace directord::ipvs {
namespace {
// The kernel makes a dump's datagrams at most 32 KiB (netlink_recvmsg).
constexpr std::size_t kDatagram = 64 * 1024;
}  // namespace

TableReader::TableReader(int family) : socket_(wire::open()), family_(family), buffer_(kDatagram) {
    request_next();
}

TableReader::~TableReader() = default;

std::string TableReader::what() const {
    if (listing_services_) return "IPVS: list services";
    return "IPVS: list destinations of " + describe(table_[next_service_].service.key);
}

void TableReader::request_next() {
    sequence_ = nl_socket_use_seq(socket_.get());
    wire::Request msg(socket_.get(), family_,
                      listing_services_ ? IPVS_CMD_GET_SERVICE : IPVS_CMD_GET_DEST, NLM_F_DUMP,
                      sequence_);
    if (!listing_services_) wire::put_service(msg, table_[next_service_].service, false);
    msg.send(socket_.get(), what());
}

TableReader::Step TableReader::step(std::chrono::steady_clock::duration budget) {
    ++steps_;
    const auto started = std::chrono::steady_clock::now();
    while (!done_) {
        switch (read_datagram()) {
            case Datagram::none:
                return Step::waiting;
            case Datagram::part:
                break;
            case Datagram::end:
                if (listing_services_) {
                    listing_services_ = false;
                } else {
                    ++next_service_;
                }
                done_ = next_service_ == table_.size();
                if (!done_) request_next();
                break;
        }
        if (!done_ && std::chrono::steady_clock::now() - started >= budget) return Step::more;
    }
    return Step::done;
}

int TableReader::fd() const { return nl_socket_get_fd(socket_.get()); }

Table TableReader::read_all(
    std::chrono::steady_clock::duration budget,
    const std::function<void(std::chrono::steady_clock::duration)>& after_step) {
    for (;;) {
        const auto started =
            after_step ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        const auto result = step(budget);
        if (after_step) after_step(std::chrono::steady_clock::now() - started);
        if (result == Step::done) return take();
        if (result == Step::waiting) wait();
    }
}

void TableReader::wait() {
    pollfd readable{fd(), POLLIN, 0};
    while (poll(&readable, 1, -1) < 0)
        if (errno != EINTR) throw IpvsError(what() + ": waiting for the kernel", errno);
}

TableReader::Datagram TableReader::read_datagram() {
    ssize_t n;
    while ((n = recv(fd(), buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC)) < 0 &&
           errno == EINTR) {
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Datagram::none;
    if (n < 0) throw IpvsError(what(), errno);
    if (static_cast<std::size_t>(n) > buffer_.size())
        throw IpvsError(fmt::format("{}: a datagram of {} bytes was cut", what(), n), EMSGSIZE);
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer_.data()); nlmsg_ok(h, left);
         h = nlmsg_next(h, &left)) {
        if (h->nlmsg_seq != sequence_) continue;  // a late answer to nothing of ours
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
            // Both carry the dump's verdict: an errno, negated, or 0.
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
                throw IpvsError(what() + ": malformed answer refused", EPROTO);
            int verdict = *static_cast<const int*>(nlmsg_data(h));
            if (verdict < 0) throw IpvsError(what(), -verdict);
            return Datagram::end;
        }
        take_answer(h);
    }
    return Datagram::part;
}

void TableReader::take_answer(nlmsghdr* answer) {
    auto a = answer->nlmsg_type == family_ ? wire::top_level(answer) : std::nullopt;
    if (a && listing_services_ && (*a)[IPVS_CMD_ATTR_SERVICE]) {
        if (auto s = wire::parse_service((*a)[IPVS_CMD_ATTR_SERVICE])) {
            table_.push_back(VirtualService{std::move(*s), {}});
            return;
        }
    } else if (a && !listing_services_ && (*a)[IPVS_CMD_ATTR_DEST]) {
        auto& service = table_[next_service_];
        if (auto d =
                wire::parse_destination((*a)[IPVS_CMD_ATTR_DEST], service.service.key.family)) {
            service.destinations.push_back(std::move(*d));
            return;
        }
    } else if (a) {
        return;  // an answer without the object: nothing to read
    }
    throw IpvsError(what() + ": malformed answer refused", EPROTO);
}

}  // namespace directord::ipvs
