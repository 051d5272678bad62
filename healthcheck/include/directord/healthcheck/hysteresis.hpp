#pragma once
// Rise/fall debouncing: `fall` consecutive failures take an up target down, `rise`
// consecutive successes bring a down one up.
#include <cstdint>

namespace directord::healthcheck {

class Hysteresis {
  public:
    Hysteresis(unsigned rise, unsigned fall, bool initially_up)
        : rise_(static_cast<std::uint16_t>(rise ? rise : 1)),
          fall_(static_cast<std::uint16_t>(fall ? fall : 1)),
          up_(initially_up) {}

    // Feeds one result; returns true when the debounced state flipped.
    bool record(bool success) {
        if (success == up_) {
            streak_ = 0;
            return false;
        }
        if (++streak_ < (up_ ? fall_ : rise_)) return false;
        up_ = success;
        streak_ = 0;
        return true;
    }
    bool up() const { return up_; }

  private:
    std::uint16_t rise_;  // the loader caps rise and fall far below 65535
    std::uint16_t fall_;
    std::uint16_t streak_ = 0;
    bool up_;
};

}  // namespace directord::healthcheck
