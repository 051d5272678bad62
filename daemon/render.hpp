#pragma once
// Status and metrics without holding the loop: a render runs in slices of about kSlice with a
// turn of the loop between them (50,000 real servers cost far more than an advert interval in
// one go), one render at a time, shared by every request that arrives while it runs; metrics
// are served from the last render for kMetricsFresh (a thousand scrapers cost one render).
// The units between two looks at the clock are small whatever the farm's shape: a few real
// servers (a virtual server may have 50,000, each read where it lives: no copy of the checks
// is collected first) or a piece of the text joined; the document is made in place, never
// copied whole.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "status.hpp"

namespace directord::daemon {

class Renderer {
  public:
    enum class Kind { status, metrics };
    // The text: the status document (JSON) or the exposition.
    using Done = std::function<void(std::shared_ptr<const std::string> text)>;
    static constexpr auto kSlice = std::chrono::milliseconds(3);
    static constexpr auto kMetricsFresh = std::chrono::seconds(1);

    Renderer(boost::asio::io_context& io, const Parts& parts);
    ~Renderer();
    Renderer(const Renderer&) = delete;
    Renderer& operator=(const Renderer&) = delete;

    void request(Kind kind, Done done);

  private:
    struct Job;
    struct Wanted {
        std::vector<Done> waiting;
        std::shared_ptr<const std::string> last;
        std::chrono::steady_clock::time_point made;
    };
    Wanted& wanted(Kind kind) { return kind == Kind::status ? status_ : metrics_; }
    void start(Kind kind);
    void step();
    void render_members(Job& job);
    void close(Job& job);
    void join_slice(Job& job);
    void finish();

    boost::asio::io_context& io_;
    Parts parts_;
    Wanted status_, metrics_;
    std::unique_ptr<Job> job_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace directord::daemon
