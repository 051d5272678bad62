// HTTP_GET / SSL_GET on the loop: connect, for HTTPS a TLS handshake, one HTTP/1.1 request, the
// response read by Beast's parser. One deadline covers the attempt and says which step it ended
// in. HTTPS checks of a kind share one TLS context in the loop and resume each real server's
// session: the handshake costs the server no private-key operation and the probe no certificate
// parsing (libcurl 7.88 made a TLS context per connection, which was most of an HTTPS probe's
// CPU). A check with reuse_connection keeps the connection the server leaves open for the next
// probe (no connection, no handshake: a request and its answer); others say "Connection: close".
#include <fmt/format.h>
#include <re2/re2.h>

#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <limits>
#include <optional>

#include "tcp_dialogue.hpp"

namespace directord::healthcheck {
namespace {

namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

constexpr std::size_t kMaxBody = 64 * 1024;  // what a body regex is matched against
constexpr std::size_t kBodyStep = 4096;      // grown by this much at a time: most bodies are small

struct SessionFree {
    void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using Session = std::unique_ptr<SSL_SESSION, SessionFree>;

// What every attempt of one probe shares; the probe's, outliving each attempt it reports.
struct HttpTarget {
    const config::HttpCheck& check;
    tcp::endpoint address;
    std::string request;  // the request's bytes, made once
    TlsPeer peer;         // SNI and the name verified: the sni, else the host, else the address
    const RE2* body_regex;
    Session* session;      // resumed by the next attempt; null where sessions are not kept
    KeptConnection* kept;  // the next attempt's connection; null where connections are not kept
};

class HttpExchange : public TcpDialogue<HttpExchange> {
  public:
    HttpExchange(boost::asio::io_context& io, ssl::context* tls, const HttpTarget& target,
                 ProbeHandler done)
        : TcpDialogue(io, std::move(done)), tls_context_(tls), target_(target) {
        // No limit: only the first kMaxBody bytes are kept. (Not boost::none: Beast 1.74 compares
        // a Content-Length with the limit as "len > optional", which holds when there is none.)
        parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
        if (target_.check.method == "HEAD") parser_.skip(true);
    }

    void start(std::chrono::microseconds timeout) {
        arm(timeout);
        if (target_.kept && adopt(*target_.kept, [this] { open(); })) return request();
        open();
    }

  private:
    void open() {
        connect(target_.address, [this] {
            if (!tls_context_) return request();
            auto* session = target_.session ? target_.session->get() : nullptr;
            handshake(*tls_context_, target_.peer, session, [this] { request(); });
        });
    }

    void request() {
        send(boost::asio::buffer(target_.request), "the request", [this] {
            wait_for("the response");
            read();
        });
    }

    // Reads the body into `body_` up to kMaxBody, the rest into a scratch area, until the
    // response ends.
    void read() {
        auto& body = parser_.get().body();
        offered_ = body_.size() < kMaxBody ? std::min(kMaxBody - body_.size(), kBodyStep) : 0;
        if (offered_) {
            body_.resize(body_.size() + offered_);
            body.data = body_.data() + body_.size() - offered_;
            body.size = offered_;
        } else {
            thread_local std::array<char, 4096> discarded;
            body.data = discarded.data();
            body.size = discarded.size();
        }
        on_layer([&](auto& layer) {
            http::async_read(
                layer, buffer_, parser_,
                step([this](boost::system::error_code ec, std::size_t) { on_read(ec); }));
        });
    }

    void on_read(boost::system::error_code ec) {
        if (ec == http::error::need_buffer) ec = {};  // the space offered is full: read on
        // A TLS server that closes without close_notify ends a body that runs to the close.
        if (ec == ssl::error::stream_truncated && parser_.is_header_done()) parser_.put_eof(ec);
        body_.resize(body_.size() - (offered_ ? parser_.get().body().size : 0));  // unfilled
        bool nothing = buffer_.size() == 0 && !parser_.got_some();
        if (ec && nothing && reopen_if_reused()) return;
        if (ec) return fail("reading the response: " + ec.message());
        if (!parser_.is_done()) return read();
        if (tls() && target_.session) keep_session();
        auto verdict = judge();
        // Kept as the server meant it (keep-alive, the body's end known), read to its end, and
        // only after a good answer: after a bad one the next probe starts from scratch.
        if (target_.kept && verdict.ok && parser_.keep_alive() && buffer_.size() == 0)
            *target_.kept = release();
        else
            ended_cleanly();
        finish(std::move(verdict));
    }

    ProbeResult judge() {
        int status = parser_.get().result_int();
        bool wanted = false;
        for (const auto& r : target_.check.status)
            wanted = wanted || (status >= r.low && status <= r.high);
        if (!wanted) return {false, fmt::format("HTTP status {}", status)};
        if (target_.body_regex && !RE2::PartialMatch(body_, *target_.body_regex))
            return {false, fmt::format("HTTP status {}, body does not match /{}/", status,
                                       target_.check.body_regex)};
        return {true, fmt::format("HTTP status {}", status)};
    }

    // After the response, when TLS 1.3's session tickets have been read.
    void keep_session() {
        Session session(SSL_get1_session(tls()));
        if (session && SSL_SESSION_is_resumable(session.get()))
            *target_.session = std::move(session);
    }

    ssl::context* tls_context_;  // none: plain HTTP
    const HttpTarget& target_;
    boost::beast::flat_buffer buffer_;
    http::response_parser<http::buffer_body> parser_;
    std::string body_;
    std::size_t offered_ = 0;  // of body_'s end to the parser in this read
};

// The Host header: the virtual host, else the URL's name and port as browsers send them.
std::string host_header(const config::HttpCheck& check, const tcp::endpoint& target) {
    if (!check.host.empty()) return check.host;
    std::string name = !check.sni.empty()         ? check.sni
                       : target.address().is_v6() ? "[" + target.address().to_string() + "]"
                                                  : target.address().to_string();
    bool default_port = target.port() == (check.tls ? 443 : 80);
    return default_port ? name : fmt::format("{}:{}", name, target.port());
}

class HttpProbe : public Probe {
  public:
    HttpProbe(boost::asio::io_context& io, const config::HttpCheck& check, tcp::endpoint target)
        : io_(io),
          tls_(check.tls ? client_tls_context(io, check.verify, check.ca_file) : nullptr),
          target_{check, target,
                  fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: directord\r\n"
                              "Accept: */*\r\n{}\r\n",
                              check.method, check.path, host_header(check, target),
                              check.reuse_connection ? "" : "Connection: close\r\n"),
                  TlsPeer(!check.sni.empty()    ? check.sni
                          : !check.host.empty() ? check.host
                                                : target.address().to_string(),
                          check.verify),
                  nullptr,
                  // Sessions are resumed only where nothing is verified: a verifying check
                  // must see a replaced or expired certificate at its next connection.
                  check.tls && !check.verify ? &session_ : nullptr,
                  check.reuse_connection ? &kept_ : nullptr} {
        if (!check.body_regex.empty()) {
            body_regex_ = std::make_unique<RE2>(check.body_regex, RE2::Quiet);
            target_.body_regex = body_regex_.get();
        }
    }
    ~HttpProbe() override {
        if (current_) current_->abandon();
    }
    HttpProbe(const HttpProbe&) = delete;
    HttpProbe& operator=(const HttpProbe&) = delete;

    void run(std::chrono::microseconds timeout, ProbeHandler done) override {
        current_ = std::make_shared<HttpExchange>(io_, tls_.get(), target_, std::move(done));
        current_->start(timeout);
    }

  private:
    boost::asio::io_context& io_;
    std::shared_ptr<ssl::context> tls_;  // shared by the loop's checks that verify alike
    Session session_;
    KeptConnection kept_;              // closed with the probe
    std::unique_ptr<RE2> body_regex_;  // validated by the loader; linear time on any body
    HttpTarget target_;
    std::shared_ptr<HttpExchange> current_;
};

}  // namespace

std::unique_ptr<Probe> make_http_probe(boost::asio::io_context& io, const config::HttpCheck& check,
                                       const tcp::endpoint& target) {
    return std::make_unique<HttpProbe>(io, check, target);
}

}  // namespace directord::healthcheck
