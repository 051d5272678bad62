// SMTP_CHECK as a dialogue on the loop: connect, banner 220, EHLO 250 and, with starttls,
// STARTTLS 220, a TLS handshake and EHLO 250 again; then QUIT, without waiting for its answer.
// One deadline covers the whole attempt and says which step it ended in.
#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"
#include "directord/healthcheck/wire_messages.hpp"
#include "directord/host_name.hpp"
#include "slice_executor.hpp"
#include "tls_client.hpp"

namespace directord::healthcheck {
namespace {

namespace ssl = boost::asio::ssl;
using boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kLongestReply = 16 * 1024;  // a reply longer than this is not a server's

std::string default_helo() {
    auto name = host_name();
    return name.empty() ? "localhost" : name;
}

class SmtpDialogue : public std::enable_shared_from_this<SmtpDialogue> {
  public:
    // The certificate is verified for `tls_name` (the sni, else the target's address).
    SmtpDialogue(boost::asio::io_context& io, ssl::context& tls, const config::SmtpCheck& check,
                 const std::string& helo, std::string tls_name, ProbeHandler done)
        : stream_(io, tls),
          deadline_(io),
          slices_(io),
          check_(check),
          helo_(helo),
          tls_name_(std::move(tls_name)),
          done_(std::move(done)) {}

    void start(const tcp::endpoint& target, std::chrono::microseconds timeout) {
        auto self = shared_from_this();
        deadline_.expires_after(timeout);
        deadline_.async_wait(
            in_slices(slices_, [self, timeout](const boost::system::error_code& ec) {
                if (!ec)
                    self->finish(false, fmt::format("timed out after {} waiting for {}",
                                                    format_duration(timeout), self->step_));
            }));
        step_ = "the connection";
        stream_.next_layer().async_connect(
            target, in_slices(slices_, [self](const boost::system::error_code& ec) {
                if (!self->done_) return;  // abandoned: the check it reads is gone
                if (ec) return self->finish(false, ec.message());
                self->expect(220, "the banner", [self] { self->ehlo(); });
            }));
    }

    void abandon() {
        done_ = nullptr;
        close();
    }

  private:
    void ehlo() {
        say("EHLO " + helo_, 250, tls_on_ ? "EHLO after STARTTLS" : "EHLO", [this] {
            if (!check_.starttls || tls_on_) return quit();
            say("STARTTLS", 220, "STARTTLS", [this] { handshake(); });
        });
    }

    void handshake() {
        step_ = "the TLS handshake";
        expect_peer(stream_.native_handle(), tls_name_, check_.verify);
        stream_.async_handshake(
            ssl::stream_base::client,
            in_slices(slices_, [self = shared_from_this()](const boost::system::error_code& ec) {
                if (!self->done_) return;
                if (ec)
                    return self->finish(
                        false, tls_failure(self->stream_.native_handle(), self->tls_name_, ec));
                self->tls_on_ = true;
                self->received_.clear();  // nothing before TLS counts after
                self->ehlo();
            }));
    }

    void quit() {
        auto verdict = fmt::format("banner 220, EHLO 250{}", tls_on_ ? ", STARTTLS and TLS" : "");
        // Polite, not waited for: the server's state was already judged.
        write("QUIT\r\n", [self = shared_from_this(), verdict] { self->finish(true, verdict); });
    }

    // Sends `line`, then expects the reply `code` to it.
    template <class Next>
    void say(const std::string& line, int code, const char* what, Next next) {
        write(line + "\r\n", [this, code, what, next] { expect(code, what, next); });
    }

    template <class Then>
    void write(std::string text, Then then) {
        outgoing_ = std::move(text);
        on_layer([&](auto& layer) {
            boost::asio::async_write(
                layer, boost::asio::buffer(outgoing_),
                in_slices(slices_, [self = shared_from_this(), then](
                                       const boost::system::error_code& ec, std::size_t) {
                    if (!self->done_) return;
                    if (ec) return self->finish(false, "sending: " + ec.message());
                    then();
                }));
        });
    }

    // Reads one reply (all its lines) and goes on when it has `code`.
    template <class Next>
    void expect(int code, const char* what, Next next) {
        step_ = what;
        if (auto reply = read_smtp_reply(received_)) {
            received_.erase(0, reply->length);
            if (reply->code == code) return next();
            return finish(false, reply->code == 0 ? fmt::format("{}: not an SMTP reply", what)
                                                  : fmt::format("{} answered {} {}", what,
                                                                reply->code, reply->first_line));
        }
        on_layer([&](auto& layer) {
            boost::asio::async_read_until(
                layer, boost::asio::dynamic_buffer(received_, kLongestReply), '\n',
                in_slices(slices_, [self = shared_from_this(), code, what, next](
                                       const boost::system::error_code& ec, std::size_t) {
                    if (!self->done_) return;
                    if (ec == boost::asio::error::eof)
                        return self->finish(false, fmt::format("closed before {}", what));
                    if (ec) return self->finish(false, fmt::format("{}: {}", what, ec.message()));
                    self->expect(code, what, next);
                }));
        });
    }

    template <class Use>
    void on_layer(Use use) {
        if (tls_on_)
            use(stream_);
        else
            use(stream_.next_layer());
    }

    void close() {
        deadline_.cancel();
        boost::system::error_code ignored;
        stream_.next_layer().close(ignored);
    }

    void finish(bool ok, const std::string& reason) {
        if (!done_) return;
        auto done = std::move(done_);
        done_ = nullptr;
        close();
        done(ProbeResult{
            ok, reason,
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_)});
    }

    ssl::stream<tcp::socket> stream_;
    boost::asio::steady_timer deadline_;
    SliceExecutor slices_;  // every step, the TLS handshake's too, is check work
    const config::SmtpCheck& check_;
    const std::string& helo_;
    std::string tls_name_;
    ProbeHandler done_;
    std::string received_, outgoing_;
    const char* step_ = "";
    bool tls_on_ = false;
    Clock::time_point started_ = Clock::now();
};

class SmtpProbe : public Probe {
  public:
    SmtpProbe(boost::asio::io_context& io, const config::SmtpCheck& check, tcp::endpoint target)
        : io_(io),
          check_(check),
          target_(target),
          helo_(!check.helo_name.empty() ? check.helo_name : default_helo()),
          tls_(client_tls_context(io, check.verify, check.ca_file)) {}
    ~SmtpProbe() override {
        if (current_) current_->abandon();
    }

    void run(std::chrono::microseconds timeout, ProbeHandler done) override {
        current_ = std::make_shared<SmtpDialogue>(
            io_, *tls_, check_, helo_,
            check_.sni.empty() ? target_.address().to_string() : check_.sni, std::move(done));
        current_->start(target_, timeout);
    }

  private:
    boost::asio::io_context& io_;
    const config::SmtpCheck& check_;
    tcp::endpoint target_;
    std::string helo_;
    std::shared_ptr<ssl::context> tls_;  // the stream needs one even without STARTTLS
    std::shared_ptr<SmtpDialogue> current_;
};

}  // namespace

std::unique_ptr<Probe> make_smtp_probe(boost::asio::io_context& io, const config::SmtpCheck& check,
                                       const tcp::endpoint& target) {
    return std::make_unique<SmtpProbe>(io, check, target);
}

}  // namespace directord::healthcheck
