#pragma once
// A check's dialogue with a TCP server on the loop, TLS optional from any step on: what the
// HTTP(S) and SMTP probes share. One deadline covers the attempt and says which step it ended
// in ("timed out after 300ms waiting for the TLS handshake"). Every completion, and the steps
// Asio and Beast run under it (a handshake's crypto, a response's parsing), is check work in
// the scheduler's slices. An attempt reports once; once abandoned (its probe, and the check the
// dialogue reads, are gone) it reports nothing and its steps stop. An HTTP check that reuses
// connections hands its connection from one attempt to the next (see adopt()).
#include <fmt/format.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"
#include "slice_executor.hpp"
#include "tls_client.hpp"

namespace directord::healthcheck {

// The connection a dialogue runs on: its socket and, from a handshake on, TLS over it. On the
// heap, so that a check reusing connections keeps it from one attempt to the next.
struct TcpConnection {
    explicit TcpConnection(boost::asio::io_context& io) : socket(io) {}

    // Ended by either side after a complete answer: OpenSSL marks the session of a connection
    // closed without close_notify as not resumable, and this one is not broken.
    void ended_cleanly() {
        if (tls) SSL_set_shutdown(tls->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    // Still as the last answer left it: neither closed by the server since nor holding bytes
    // nobody asked for (a peek, without blocking).
    bool idle() {
        char byte;
        return ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
               (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    boost::asio::ip::tcp::socket socket;
    std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls;  // over socket
};
using KeptConnection = std::unique_ptr<TcpConnection>;

template <class Derived>
class TcpDialogue : public std::enable_shared_from_this<Derived> {
  public:
    TcpDialogue(boost::asio::io_context& io, ProbeHandler done)
        : io_(io), deadline_(io), slices_(io), done_(std::move(done)) {}

    // Ends the attempt without a report.
    void abandon() {
        done_ = nullptr;
        close();
    }

  protected:
    using tcp = boost::asio::ip::tcp;

    // The attempt ends when `timeout` has passed, saying in which step.
    void arm(std::chrono::microseconds timeout) {
        deadline_.expires_after(timeout);
        deadline_.async_wait(step([this, timeout](const boost::system::error_code& ec) {
            if (!ec)
                fail(fmt::format("timed out after {} {} {}", format_duration(timeout),
                                 sending_ ? "sending" : "waiting for", step_));
        }));
    }

    // A new connection to `target`, then `connected()`.
    template <class Next>
    void connect(const tcp::endpoint& target, Next connected) {
        wait_for("the connection");
        connection_ = std::make_unique<TcpConnection>(io_);
        connection_->socket.async_connect(
            target, step([this, connected](const boost::system::error_code& ec) {
                if (ec) return finish(failed_call(ec.value()));
                connected();
            }));
    }

    // Goes on over `kept`, the connection an earlier attempt left open, unless the server has
    // closed it since (false: connect anew). Should the server turn out to have closed it as the
    // request went out (a failure before any answer, see reopen_if_reused()), `reopen()` starts
    // over on a new connection, once: the race every HTTP client reusing connections has.
    bool adopt(KeptConnection& kept, std::function<void()> reopen) {
        auto connection = std::move(kept);
        if (!connection) return false;
        if (!connection->idle()) {
            connection->ended_cleanly();
            return false;
        }
        connection_ = std::move(connection);
        reopen_ = std::move(reopen);
        return true;
    }

    // After a failure before any answer: true when the connection was adopted and the attempt
    // now starts over on a new one; false when it was new (the failure is the attempt's).
    bool reopen_if_reused() {
        if (!reopen_) return false;
        connection_->ended_cleanly();
        connection_.reset();
        std::exchange(reopen_, nullptr)();
        return true;
    }

    // The connection, left open for the next attempt instead of closed by finish().
    KeptConnection release() {
        reopen_ = nullptr;
        return std::move(connection_);
    }

    // After a complete answer, on a connection that will not be kept.
    void ended_cleanly() { connection_->ended_cleanly(); }

    // TLS from here on: the handshake with `peer` (which outlives the attempt), resuming
    // `session` if any, then `next()`.
    template <class Next>
    void handshake(boost::asio::ssl::context& context, const TlsPeer& peer, SSL_SESSION* session,
                   Next next) {
        wait_for("the TLS handshake");
        connection_->tls.emplace(connection_->socket, context);
        SSL* tls = connection_->tls->native_handle();
        expect_peer(tls, peer);
        if (session) SSL_set_session(tls, session);
        connection_->tls->async_handshake(
            boost::asio::ssl::stream_base::client,
            step([this, &peer, next](const boost::system::error_code& ec) {
                if (ec) return fail(tls_failure(this->tls(), peer, ec));
                next();
            }));
    }

    // Sends `bytes` (alive until then), then `next()`; a failure or the timeout names `what`
    // was being sent.
    template <class Next>
    void send(boost::asio::const_buffer bytes, const char* what, Next next) {
        step_ = what;
        sending_ = true;
        on_layer([&](auto& layer) {
            boost::asio::async_write(
                layer, bytes,
                step([this, what, next](const boost::system::error_code& ec, std::size_t) {
                    if (ec && reopen_if_reused()) return;
                    if (ec) return fail(fmt::format("sending {}: {}", what, ec.message()));
                    next();
                }));
        });
    }

    // `use(layer)` with the stream the dialogue is on: TLS once its handshake has begun.
    template <class Use>
    void on_layer(Use use) {
        if (connection_->tls)
            use(*connection_->tls);
        else
            use(connection_->socket);
    }

    // `handler` as a step of this attempt: run in the slices, with the dialogue kept alive,
    // and not at all once the attempt has ended.
    template <class Handler>
    auto step(Handler handler) {
        return in_slices(slices_, [self = this->shared_from_this(),
                                   handler = std::move(handler)](auto&&... results) {
            if (self->done_) handler(std::forward<decltype(results)>(results)...);
        });
    }

    void fail(std::string reason) { finish({false, std::move(reason)}); }

    void finish(ProbeResult result) {
        if (!done_) return;
        auto done = std::exchange(done_, nullptr);
        close();
        result.latency = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started_);
        done(result);
    }

    SSL* tls() {
        return connection_ && connection_->tls ? connection_->tls->native_handle() : nullptr;
    }

    // What the attempt waits for now, as its timeout says it.
    void wait_for(const char* what) {
        step_ = what;
        sending_ = false;
    }

  private:
    void close() {
        deadline_.cancel();
        if (!connection_) return;  // none yet, or kept
        boost::system::error_code ignored;
        connection_->socket.close(ignored);  // not freed: a step of it may still be queued
    }

    boost::asio::io_context& io_;
    KeptConnection connection_;     // from connect() or adopt()
    std::function<void()> reopen_;  // while on an adopted connection
    boost::asio::steady_timer deadline_;
    SliceExecutor slices_;
    ProbeHandler done_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    const char* step_ = "";  // what the attempt waits for or sends
    bool sending_ = false;
};

}  // namespace directord::healthcheck
