#include "render.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace directord::daemon {
namespace {
// Units of work between two looks at the clock.
constexpr std::size_t kMembersPerStep = 64;
constexpr std::size_t kJoinBytes = 64 * 1024;
}  // namespace

struct Renderer::Job {
    Job(Kind k, unsigned long g) : kind(k), generation(g) {}
    Kind kind;
    unsigned long generation;  // of the IPVS pools: a reload in between starts it again
    std::size_t next_pool = 0;
    std::size_t next_member = 0;  // of next_pool
    bool closed = false;          // every pool rendered, the document's end made
    // The document, made in place: copying 20 MB at the end would be a turn of its own.
    std::string text;
    RealServerFamilies families;
    // Metrics: the families, each rendered apart, appended to the text in slices.
    std::vector<std::string> pieces;
    std::size_t next_piece = 0, piece_offset = 0;
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
    job_ = std::make_unique<Job>(kind, parts_.ipvs.generation());
    auto& text = job_->text;
    if (const auto& last = wanted(kind).last) text.reserve(last->size() + last->size() / 8);
    if (kind == Kind::metrics) {
        text += metrics_header(parts_);
    } else {
        text +=
            status_header(parts_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        text.pop_back();  // the closing brace: the virtual servers go last
        text += R"(,"virtual_servers":[)";
    }
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
    const auto pools = parts_.ipvs.pools();
    while (std::chrono::steady_clock::now() - started < kSlice) {
        if (job.next_pool < pools) {
            render_members(job);
        } else if (!job.closed) {
            close(job);
        } else if (job.next_piece < job.pieces.size()) {
            join_slice(job);
        } else {
            finish();
            return;
        }
    }
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.lock()) step();
    });
}

// A few real servers of the pool being rendered (its head first); the pool ends when fewer
// than asked for were left.
void Renderer::render_members(Job& job) {
    const auto first = job.next_member, last = first + kMembersPerStep;
    std::size_t rendered = 0;
    if (job.kind == Kind::metrics) {
        rendered = metrics_pool(parts_, job.next_pool, first, last, job.families);
    } else {
        if (first == 0) {
            if (job.next_pool > 0) job.text += ',';
            status_pool_open(parts_, job.next_pool, job.text);
        }
        rendered = status_pool_members(parts_, job.next_pool, first, last, job.text);
    }
    job.next_member += rendered;
    if (rendered == kMembersPerStep) return;
    if (job.kind == Kind::status) status_pool_close(job.text);
    ++job.next_pool;
    job.next_member = 0;
}

void Renderer::close(Job& job) {
    job.closed = true;
    if (job.kind == Kind::status) {
        job.text += "]}";
        return;
    }
    job.pieces = job.families.take();
    job.pieces.push_back(metrics_rest(parts_));
}

void Renderer::join_slice(Job& job) {
    auto& piece = job.pieces[job.next_piece];
    auto n = std::min(kJoinBytes, piece.size() - job.piece_offset);
    job.text.append(piece, job.piece_offset, n);
    job.piece_offset += n;
    if (job.piece_offset < piece.size()) return;
    std::string().swap(piece);
    ++job.next_piece;
    job.piece_offset = 0;
}

void Renderer::finish() {
    auto job = std::move(job_);
    auto& w = wanted(job->kind);
    w.last = std::make_shared<const std::string>(std::move(job->text));
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
