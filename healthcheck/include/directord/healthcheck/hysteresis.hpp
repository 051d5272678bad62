#pragma once
// Rise/fall debouncing: `fall` consecutive failures take an up target down, `rise`
// consecutive successes bring a down one up.
namespace directord::healthcheck {

class Hysteresis {
  public:
    Hysteresis(unsigned rise, unsigned fall, bool initially_up)
        : rise_(rise ? rise : 1), fall_(fall ? fall : 1), up_(initially_up) {}

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
    unsigned rise_;
    unsigned fall_;
    bool up_;
    unsigned streak_ = 0;
};

}  // namespace directord::healthcheck
