#pragma once
// A check's dialogue with a TCP server on the loop, TLS optional from any step on: what the
// HTTP(S) and SMTP probes share. One deadline covers the attempt and says which step it ended
// in ("timed out after 300ms waiting for the TLS handshake"). Every completion, and the steps
// Asio and Beast run under it (a handshake's crypto, a response's parsing), is check work in
// the scheduler's slices. An attempt reports once; once abandoned (its probe, and the check the
// dialogue reads, are gone) it reports nothing and its steps stop.
#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"
#include "slice_executor.hpp"
#include "tls_client.hpp"

namespace directord::healthcheck {

template <class Derived>
class TcpDialogue : public std::enable_shared_from_this<Derived> {
  public:
    TcpDialogue(boost::asio::io_context& io, ProbeHandler done)
        : socket_(io), deadline_(io), slices_(io), done_(std::move(done)) {}

    // Ends the attempt without a report.
    void abandon() {
        done_ = nullptr;
        close();
    }

  protected:
    using tcp = boost::asio::ip::tcp;

    // Arms the deadline and connects, then `connected()`.
    template <class Next>
    void connect(const tcp::endpoint& target, std::chrono::microseconds timeout, Next connected) {
        deadline_.expires_after(timeout);
        deadline_.async_wait(step([this, timeout](const boost::system::error_code& ec) {
            if (!ec)
                fail(fmt::format("timed out after {} {} {}", format_duration(timeout),
                                 sending_ ? "sending" : "waiting for", step_));
        }));
        wait_for("the connection");
        socket_.async_connect(target, step([this, connected](const boost::system::error_code& ec) {
                                  if (ec) return finish(failed_call(ec.value()));
                                  connected();
                              }));
    }

    // TLS from here on: the handshake with `peer` (which outlives the attempt), resuming
    // `session` if any, then `next()`.
    template <class Next>
    void handshake(boost::asio::ssl::context& context, const TlsPeer& peer, SSL_SESSION* session,
                   Next next) {
        wait_for("the TLS handshake");
        tls_.emplace(socket_, context);
        SSL* tls = tls_->native_handle();
        expect_peer(tls, peer);
        if (session) SSL_set_session(tls, session);
        tls_->async_handshake(boost::asio::ssl::stream_base::client,
                              step([this, &peer, next](const boost::system::error_code& ec) {
                                  if (ec) return fail(tls_failure(tls_->native_handle(), peer, ec));
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
                    if (ec) return fail(fmt::format("sending {}: {}", what, ec.message()));
                    next();
                }));
        });
    }

    // `use(layer)` with the stream the dialogue is on: TLS once its handshake has begun.
    template <class Use>
    void on_layer(Use use) {
        if (tls_)
            use(*tls_);
        else
            use(socket_);
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

    SSL* tls() { return tls_ ? tls_->native_handle() : nullptr; }

    // What the attempt waits for now, as its timeout says it.
    void wait_for(const char* what) {
        step_ = what;
        sending_ = false;
    }

  private:
    void close() {
        deadline_.cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    tcp::socket socket_;
    std::optional<boost::asio::ssl::stream<tcp::socket&>> tls_;  // over socket_
    boost::asio::steady_timer deadline_;
    SliceExecutor slices_;
    ProbeHandler done_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    const char* step_ = "";  // what the attempt waits for or sends
    bool sending_ = false;
};

}  // namespace directord::healthcheck
