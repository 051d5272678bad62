#pragma once
// How late the event loop runs what is due: a timer every 100 ms notes how long after its
// deadline its handler ran. Adverts and checks wait in the same queue, so they were as late;
// a director whose loop lags sends adverts late and its peer may take over.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "directord/histogram.hpp"

namespace directord::daemon {

class LoopLagProbe {
  public:
    LoopLagProbe(boost::asio::io_context& io, SecondsHistogram& into);
    LoopLagProbe(const LoopLagProbe&) = delete;
    LoopLagProbe& operator=(const LoopLagProbe&) = delete;

  private:
    void arm();

    boost::asio::steady_timer timer_;
    SecondsHistogram& into_;
};

}  // namespace directord::daemon
