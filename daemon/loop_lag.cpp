#include "loop_lag.hpp"

namespace directord::daemon {
namespace {
constexpr auto kEvery = std::chrono::milliseconds(100);
}  // namespace

LoopLagProbe::LoopLagProbe(boost::asio::io_context& io, SecondsHistogram& into)
    : timer_(io), into_(into) {
    arm();
}

void LoopLagProbe::arm() {
    timer_.expires_after(kEvery);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        into_.record(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - timer_.expiry())
                .count());
        arm();
    });
}

}  // namespace directord::daemon
