#include "render.hpp"

#include <boost/asio/post.hpp>

namespace directord::daemon {
namespace {
// Units of work between two looks at the clock.
constexpr std::size_t kMonitorsPerStep = 256;
constexpr std::size_t kPoolsPerStep = 16;
}  // namespace

struct Renderer::Job {
    Kind kind;
    unsigned long generation;  // of the IPVS pools: a reload in between starts it again
    std::size_t next_monitor = 0;
    std::size_t next_pool = 0;
    CheckViews checks;
    std::string pools;  // status: the virtual servers' JSON, comma-separated
    RealServerFamilies families;
};

Renderer::Renderer(boost::asio::io_context& io, const Parts& parts) : io_(io), parts_(parts) {}

Renderer::~Renderer() = default;

void Renderer::request(Kind kind, Done done) {
    auto& w = wanted(kind);
    if (kind == Kind::metrics && w.last &&
        std::chrono::steady_clock::now() - w.made < kMetricsFresh) {
        done(w.last);
        return;
    }
    w.waiting.push_back(std::move(done));
    if (!job_) start(kind);
}

void Renderer::start(Kind kind) {
    job_ = std::make_unique<Job>(Job{kind, parts_.ipvs.generation(), 0, 0, {}, {}, {}});
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.lock()) step();
    });
}

void Renderer::step() {
    auto& job = *job_;
    if (job.generation != parts_.ipvs.generation()) {  // the pools were replaced
        start(job.kind);
        return;
    }
    auto started = std::chrono::steady_clock::now();
    const auto monitors = parts_.checker.monitor_count();
    const auto pools = parts_.ipvs.pools();
    while (std::chrono::steady_clock::now() - started < kSlice) {
        if (job.next_monitor < monitors) {
            collect_checks(parts_, job.next_monitor, job.next_monitor + kMonitorsPerStep,
                           job.checks);
            job.next_monitor += kMonitorsPerStep;
            continue;
        }
        for (auto end = std::min(pools, job.next_pool + kPoolsPerStep); job.next_pool < end;
             ++job.next_pool) {
            if (job.kind == Kind::metrics) {
                metrics_pool(parts_, job.next_pool, job.checks, job.families);
            } else {
                if (!job.pools.empty()) job.pools += ',';
                job.pools += status_pool(parts_, job.next_pool, job.checks)
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            }
        }
        if (job.next_pool >= pools) {
            finish();
            return;
        }
    }
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.lock()) step();
    });
}

void Renderer::finish() {
    auto job = std::move(job_);
    std::string text;
    if (job->kind == Kind::metrics) {
        text = metrics_header(parts_) + job->families.take() + metrics_rest(parts_);
    } else {
        text = status_header(parts_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        text.pop_back();  // the closing brace: the virtual servers go last
        text += ",\"virtual_servers\":[" + job->pools + "]}";
    }
    auto& w = wanted(job->kind);
    w.last = std::make_shared<const std::string>(std::move(text));
    w.made = std::chrono::steady_clock::now();
    // Each answer in a turn of its own: starting fifty large writes is work enough to delay an
    // advert.
    for (auto& done : std::exchange(w.waiting, {}))
        boost::asio::post(io_, [done = std::move(done), text = w.last] { done(text); });
    // The other kind may have been asked for meanwhile.
    auto other = job->kind == Kind::status ? Kind::metrics : Kind::status;
    if (!wanted(other).waiting.empty())
        start(other);
    else if (!w.waiting.empty())
        start(job->kind);
}

}  // namespace directord::daemon
