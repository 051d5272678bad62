// HTTP_GET / SSL_GET through libcurl's multi interface driven by the event loop: curl tells
// which sockets to watch and when to time out (socket and timer callbacks), the loop tells curl
// what became ready (curl_multi_socket_action). TLS handshakes and transfers never block.
#include <curl/curl.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "directord/healthcheck/probes.hpp"
#include "directord/healthcheck/scheduler.hpp"

namespace directord::healthcheck {
namespace {

constexpr std::size_t kMaxBody = 64 * 1024;

// One curl multi handle and what drives it from the loop: its sockets, its timer, its transfers.
class CurlMulti {
  public:
    CurlMulti(boost::asio::io_context& io, Scheduler& scheduler)
        : io_(io), scheduler_(scheduler), timer_(std::in_place, io_) {
        multi_ = curl_multi_init();
        curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer);
        curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    }
    ~CurlMulti() { shutdown(); }
    CurlMulti(const CurlMulti&) = delete;
    CurlMulti& operator=(const CurlMulti&) = delete;

    void shutdown() {
        if (!multi_) return;
        for (auto& [handle, done] : transfers_) {
            curl_multi_remove_handle(multi_, handle);
            curl_easy_cleanup(handle);
        }
        transfers_.clear();
        sockets_.clear();
        curl_multi_cleanup(multi_);
        multi_ = nullptr;
        // Now, while every service of the io_context still exists: the timer service may be
        // destroyed before this one (it can be created after it), and a timer must not outlive it.
        timer_.reset();
    }

    using Done = std::function<void(CURLcode, CURL*)>;

    void start(CURL* handle, Done done) {
        transfers_[handle] = std::move(done);
        curl_multi_add_handle(multi_, handle);
        // Its first steps (connect, TLS set-up) now, in the caller's slice of check work, rather
        // than in one timeout action later together with every transfer added meanwhile. What
        // finished is reported from the loop, never from inside the probe's run().
        int running = 0;
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
        scheduler_.defer([this] { report_finished(); });
    }

    // Abandons a transfer whose owner is gone.
    void cancel(CURL* handle) {
        if (transfers_.erase(handle)) {
            curl_multi_remove_handle(multi_, handle);
            curl_easy_cleanup(handle);
        }
    }

  private:
    struct Watch {
        boost::asio::posix::stream_descriptor descriptor;
        int what = 0;  // CURL_POLL_*
        bool reading = false, writing = false;
        explicit Watch(boost::asio::io_context& io) : descriptor(io) {}
    };

    static int on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
        static_cast<CurlMulti*>(self)->watch(fd, what);
        return 0;
    }

    // curl moves its deadline at nearly every step of every transfer. A later one waits for
    // the pending wait to end (then it waits on); only an earlier one re-arms the timer:
    // re-arming is a cancelled handler and, when it is the loop's earliest timer, a syscall.
    static int on_timer(CURLM*, long timeout_ms, void* self) {
        auto* s = static_cast<CurlMulti*>(self);
        if (timeout_ms < 0) {
            s->due_.reset();  // a pending wait ends with nothing to do
            return 0;
        }
        auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        s->due_ = due;
        if (!s->waiting_ || s->timer_->expiry() > due) s->wait_until(due);
        return 0;
    }

    void wait_until(std::chrono::steady_clock::time_point due) {
        waiting_ = true;
        timer_->expires_at(due);  // a pending wait ends with operation_aborted
        timer_->async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            waiting_ = false;
            if (!due_) return;
            if (*due_ > std::chrono::steady_clock::now()) return wait_until(*due_);
            due_.reset();
            scheduler_.defer([this] { act(CURL_SOCKET_TIMEOUT, 0); });
        });
    }

    void watch(curl_socket_t fd, int what) {
        if (what == CURL_POLL_REMOVE) {
            sockets_.erase(fd);  // closes our duplicate before curl closes its descriptor
            return;
        }
        auto& w = sockets_[fd];
        if (!w) {
            w = std::make_shared<Watch>(io_);
            w->descriptor.assign(dup(fd));  // our own descriptor: curl keeps closing its own
        }
        w->what = what;
        arm(fd, w);
    }

    void arm(curl_socket_t fd, const std::shared_ptr<Watch>& w) {
        if (w->what & CURL_POLL_IN) wait_until(fd, w, &Watch::reading, CURL_CSELECT_IN);
        if (w->what & CURL_POLL_OUT) wait_until(fd, w, &Watch::writing, CURL_CSELECT_OUT);
    }

    // One pending wait per direction; when it fires, curl is told and the watch re-armed.
    void wait_until(curl_socket_t fd, const std::shared_ptr<Watch>& w, bool Watch::*pending,
                    int event) {
        if (w.get()->*pending) return;
        w.get()->*pending = true;
        auto direction = event == CURL_CSELECT_IN
                             ? boost::asio::posix::stream_descriptor::wait_read
                             : boost::asio::posix::stream_descriptor::wait_write;
        std::weak_ptr<Watch> weak = w;
        w->descriptor.async_wait(
            direction, [this, fd, weak, pending, event](const boost::system::error_code& ec) {
                auto watch = weak.lock();
                if (!watch) return;
                if (ec) {
                    watch.get()->*pending = false;
                    return;
                }
                // curl's work (a TLS handshake step, say) is check work: done in a slice.
                scheduler_.defer([this, fd, weak, pending, event] {
                    auto still = weak.lock();
                    if (!still) return;
                    still.get()->*pending = false;
                    act(fd, event);
                    if (auto again = weak.lock()) arm(fd, again);
                });
            });
    }

    void act(curl_socket_t fd, int events) {
        int running = 0;
        curl_multi_socket_action(multi_, fd, events, &running);
        report_finished();
    }

    void report_finished() {
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL* handle = msg->easy_handle;
            CURLcode result = msg->data.result;
            auto it = transfers_.find(handle);
            curl_multi_remove_handle(multi_, handle);
            if (it == transfers_.end()) {
                curl_easy_cleanup(handle);
                continue;
            }
            auto done = std::move(it->second);
            transfers_.erase(it);
            done(result, handle);
            curl_easy_cleanup(handle);
        }
    }

    boost::asio::io_context& io_;
    Scheduler& scheduler_;
    CURLM* multi_ = nullptr;
    std::optional<boost::asio::steady_timer> timer_;
    std::optional<std::chrono::steady_clock::time_point> due_;  // curl's deadline, if any
    bool waiting_ = false;                                      // on timer_
    std::map<curl_socket_t, std::shared_ptr<Watch>> sockets_;
    std::map<CURL*, Done> transfers_;
};

// The multi handles of one io_context (an Asio service), each probe bound to one of them in
// turn. Not a single one: curl 7.88 walks all of a multi handle's connection bundles (one per
// real server) whenever a connection closes, and a timeout action runs every due transfer of
// the handle at once; both grow with the transfers that share a handle.
class CurlService : public boost::asio::execution_context::service {
  public:
    static inline boost::asio::execution_context::id id;
    static constexpr std::size_t kMultis = 32;

    explicit CurlService(boost::asio::execution_context& context)
        : service(context), io_(static_cast<boost::asio::io_context&>(context)) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
    }

    void shutdown() override {
        for (auto& multi : multis_) multi->shutdown();
    }

    CurlMulti& assign() {
        std::size_t i = assigned_++ % kMultis;
        if (i == multis_.size())
            multis_.push_back(std::make_unique<CurlMulti>(io_, Scheduler::of(io_)));
        return *multis_[i];
    }

  private:
    boost::asio::io_context& io_;
    std::vector<std::unique_ptr<CurlMulti>> multis_;
    std::size_t assigned_ = 0;
};

class HttpProbe : public Probe {
  public:
    HttpProbe(boost::asio::io_context& io, config::HttpCheck check,
              boost::asio::ip::tcp::endpoint target)
        : curl_(boost::asio::use_service<CurlService>(io).assign()),
          check_(std::move(check)),
          target_(target) {
        if (!check_.body_regex.empty())
            body_regex_ = std::make_unique<RE2>(check_.body_regex, RE2::Quiet);
        // Name in the URL: the SNI name or virtual host, pinned to the target's address so no
        // DNS lookup ever happens; the bare address when neither is set.
        std::string name = !check_.sni.empty() ? check_.sni : check_.host;
        std::string address = target_.address().is_v6() ? "[" + target_.address().to_string() + "]"
                                                        : target_.address().to_string();
        if (!name.empty()) resolve_ = fmt::format("{}:{}:{}", name, target_.port(), address);
        url_ = fmt::format("{}://{}:{}{}", check_.tls ? "https" : "http",
                           name.empty() ? address : name, target_.port(), check_.path);
        if (!check_.host.empty()) host_header_ = "Host: " + check_.host;
        if (check_.tls && !check_.verify) {
            sessions_ = curl_share_init();
            curl_share_setopt(sessions_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        }
    }

    ~HttpProbe() override {
        if (running_) curl_.cancel(running_);
        curl_share_cleanup(sessions_);  // after its last easy handle
        curl_slist_free_all(resolve_list_);
        curl_slist_free_all(header_list_);
    }

    void run(std::chrono::microseconds timeout, ProbeHandler done) override {
        body_.clear();
        CURL* h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // never through a proxy from the environment
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        // No DNS cache: the multi handle's cache would keep an entry per real server (curl
        // caches numeric addresses too) and curl 7.88 walks all of it at the end of every
        // transfer: with 2,000 HTTPS checks that walk held the loop for 100-300 ms at a time.
        curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                         static_cast<long>(std::max<long long>(1, timeout.count() / 1000)));
        curl_easy_setopt(h, CURLOPT_NOBODY, check_.method == "HEAD" ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &HttpProbe::on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, check_.verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, check_.verify ? 2L : 0L);
        if (!check_.verify) {
            // Nothing to verify against: do not load the system's CA bundle for every probe.
            curl_easy_setopt(h, CURLOPT_CAINFO, nullptr);
            curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
        }
        if (!check_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, check_.ca_file.c_str());
        if (sessions_) curl_easy_setopt(h, CURLOPT_SHARE, sessions_);
        if (resolve_list_) curl_slist_free_all(resolve_list_);
        if (header_list_) curl_slist_free_all(header_list_);
        resolve_list_ = resolve_.empty() ? nullptr : curl_slist_append(nullptr, resolve_.c_str());
        header_list_ =
            host_header_.empty() ? nullptr : curl_slist_append(nullptr, host_header_.c_str());
        if (resolve_list_) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve_list_);
        if (header_list_) curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list_);
        running_ = h;
        curl_.start(h, [this, done = std::move(done)](CURLcode code, CURL* handle) {
            running_ = nullptr;
            done(evaluate(code, handle));
        });
    }

    HttpProbe(const HttpProbe&) = delete;
    HttpProbe& operator=(const HttpProbe&) = delete;

  private:
    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
        auto* probe = static_cast<HttpProbe*>(self);
        std::size_t n = size * count;
        probe->body_.append(data, std::min(n, kMaxBody - std::min(kMaxBody, probe->body_.size())));
        return n;
    }

    ProbeResult evaluate(CURLcode code, CURL* handle) {
        double seconds = 0;
        curl_easy_getinfo(handle, CURLINFO_TOTAL_TIME, &seconds);
        auto latency = std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
        if (code != CURLE_OK) return {false, curl_easy_strerror(code), latency};
        long status = 0;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
        bool wanted = false;
        for (const auto& r : check_.status)
            wanted = wanted || (status >= r.low && status <= r.high);
        if (!wanted) return {false, fmt::format("HTTP status {}", status), latency};
        if (body_regex_ && !RE2::PartialMatch(body_, *body_regex_))
            return {
                false,
                fmt::format("HTTP status {}, body does not match /{}/", status, check_.body_regex),
                latency};
        return {true, fmt::format("HTTP status {}", status), latency};
    }

    CurlMulti& curl_;
    config::HttpCheck check_;
    boost::asio::ip::tcp::endpoint target_;
    std::unique_ptr<RE2> body_regex_;  // validated by the loader; linear time on any body
    std::string url_, resolve_, host_header_, body_;
    curl_slist* resolve_list_ = nullptr;
    curl_slist* header_list_ = nullptr;
    // This real server's TLS session, resumed by the next probe: no full handshake (the
    // server's private-key operation, the client's certificate parsing) every interval. Only
    // where nothing is verified: a verifying check sees a replaced or expired certificate at
    // its next probe, which a resumed session would not show it.
    CURLSH* sessions_ = nullptr;
    CURL* running_ = nullptr;
};

}  // namespace

std::unique_ptr<Probe> make_http_probe(boost::asio::io_context& io, const config::HttpCheck& check,
                                       const boost::asio::ip::tcp::endpoint& target) {
    return std::make_unique<HttpProbe>(io, check, target);
}

}  // namespace directord::healthcheck
