#pragma once
// What a configuration asks of the checker, worked out beside the loop (on a reload's thread):
// one entry per distinct check and target, with the real servers that use it. The loop then
// only matches its running monitors against it: a reload of tens of thousands of checked real
// servers holds the loop for that match, not for building the plan.
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::healthcheck {

class CheckPlan {
  public:
    struct Entry {
        std::shared_ptr<const config::Check> check;  // equal checks share one
        boost::asio::ip::tcp::endpoint target;
        std::uint32_t first_user = 0, user_count = 0;  // in users
    };
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    CheckPlan() = default;
    explicit CheckPlan(const config::Config& cfg);  // `cfg` validated

    // The plan's own copy of a check equal to `check` (null: no entry has such a check).
    const config::Check* shared(const config::Check& check) const;
    // The entry of `check` (as shared() returned it) and `target`, or npos.
    std::size_t find(const config::Check* check,
                     const boost::asio::ip::tcp::endpoint& target) const;

    std::vector<Entry> entries;
    std::vector<config::RealServerId> users;        // each entry's, contiguous
    std::vector<std::string> virtual_server_names;  // by RealServerId::virtual_server
    // By RealServerId: its entry + 1 (0: unchecked).
    std::vector<std::vector<std::uint32_t>> entry_of;

  private:
    struct Key {
        const config::Check* check;
        boost::asio::ip::tcp::endpoint target;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const;
    };
    struct CheckHash {
        std::size_t operator()(const config::Check* c) const;
    };
    struct CheckEqual {
        bool operator()(const config::Check* a, const config::Check* b) const { return *a == *b; }
    };
    std::unordered_map<const config::Check*, std::shared_ptr<const config::Check>, CheckHash,
                       CheckEqual>
        checks_;
    std::unordered_map<Key, std::uint32_t, KeyHash> index_;
};

}  // namespace directord::healthcheck
