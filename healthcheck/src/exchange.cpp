#include "exchange.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>

namespace directord::healthcheck {
namespace {

constexpr std::size_t kLargestAnswer = 65536 + 2;  // a DNS message over TCP with its length

}  // namespace

Exchange::Exchange(boost::asio::io_context& io, Request request, ProbeHandler done)
    : socket_(io, request.socket),
      deadline_(io),
      request_(std::move(request)),
      done_(std::move(done)) {}

std::shared_ptr<Exchange> Exchange::start(boost::asio::io_context& io, Request request,
                                          std::chrono::microseconds timeout, ProbeHandler done) {
    auto self = std::make_shared<Exchange>(io, std::move(request), std::move(done));
    self->deadline_.expires_after(timeout);
    self->deadline_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->finish(self->request_.silence);
    });
    const auto& r = self->request_;
    if (::connect(r.socket, reinterpret_cast<const sockaddr*>(&r.peer), r.peer_length) == 0) {
        boost::asio::post(io, [self] { self->connected(); });
    } else if (errno == EINPROGRESS && r.stream) {
        self->socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                                 [self](const boost::system::error_code& ec) {
                                     if (ec) return;
                                     int error = 0;
                                     socklen_t length = sizeof error;
                                     ::getsockopt(self->socket_.native_handle(), SOL_SOCKET,
                                                  SO_ERROR, &error, &length);
                                     if (error)
                                         self->fail(error);
                                     else
                                         self->connected();
                                 });
    } else {
        boost::asio::post(io, [self, error = errno] { self->fail(error); });
    }
    return self;
}

void Exchange::abandon() {
    done_ = nullptr;
    deadline_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void Exchange::connected() {
    if (!done_) return;
    const auto& bytes = request_.bytes;
    // A fresh socket's send buffer takes the whole request (at most a few hundred bytes).
    auto sent = ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) return fail(errno);
    if (static_cast<std::size_t>(sent) != bytes.size())
        return finish({false, fmt::format("sent {} of {} bytes", sent, bytes.size())});
    wait_for_answer();
}

void Exchange::wait_for_answer() {
    socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           if (!ec) self->read_answer();
                       });
}

void Exchange::read_answer() {
    if (!done_) return;
    // One buffer for every exchange of the thread (they read one at a time), not 64 KiB made
    // for each datagram; a stream's bytes are then kept in received_.
    static thread_local std::array<char, kLargestAnswer> buffer;
    for (;;) {
        std::size_t room = request_.stream ? kLargestAnswer - received_.size() : buffer.size();
        auto got = ::recv(socket_.native_handle(), buffer.data(), room, 0);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_for_answer();
            if (errno == EINTR) continue;
            return fail(errno);
        }
        std::optional<Verdict> verdict;
        if (request_.stream) {
            if (got == 0) return finish({false, "connection closed before an answer"});
            received_.append(buffer.data(), static_cast<std::size_t>(got));
            verdict = request_.judge(received_);
            if (!verdict && received_.size() >= kLargestAnswer)
                verdict = Verdict{false, "answer longer than any valid one"};
        } else {
            verdict =
                request_.judge(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
        }
        if (verdict) return finish(*verdict);
    }
}

void Exchange::fail(int error) {
    // A connected datagram socket reports an ICMP port unreachable as ECONNREFUSED.
    if (error == ECONNREFUSED && !request_.stream) return finish({false, "port unreachable"});
    auto failure = failed_call(error);
    finish({false, std::move(failure.reason)}, failure.internal);
}

void Exchange::finish(const Verdict& verdict, bool internal) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    deadline_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
    done(ProbeResult{verdict.ok, verdict.reason, latency, internal});
}

}  // namespace directord::healthcheck
