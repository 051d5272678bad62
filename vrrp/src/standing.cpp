#include "directord/vrrp/standing.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace directord::vrrp {
namespace {

std::string fault_text(const TrackedSignal& s) {
    return s.what + (s.what.starts_with("file") ? " present" : " down");
}

bool weight_applies(const TrackedSignal& s) {
    return (s.weight < 0 && s.failing) || (s.weight > 0 && !s.failing);
}

void append(std::string& list, const std::string& item) {
    list += (list.empty() ? "" : ", ") + item;
}

}  // namespace

Standing assess_standing(const StandingInputs& in) {
    Standing out;
    out.own_fault = in.host_fault;
    for (const auto& s : in.signals) {
        if (s.weight == 0 && s.failing) {
            append(out.own_fault, fault_text(s));
        } else if (weight_applies(s)) {
            out.own_weight += s.weight;
            append(out.weights, fmt::format("{} {:+d}", s.what, s.weight));
        }
    }
    out.fault = out.own_fault;
    for (const auto& [key, reason] : in.external_faults) append(out.fault, reason);
    int delta = out.own_weight;
    if (in.group_weight != 0) {
        delta += in.group_weight;
        append(out.weights, fmt::format("sync group {:+d}", in.group_weight));
    }
    // The address owner (255) keeps its priority; others stay within 1..254 whatever the weights.
    out.priority = in.base_priority == 255
                       ? in.base_priority
                       : static_cast<std::uint8_t>(std::clamp(in.base_priority + delta, 1, 254));
    return out;
}

std::vector<std::string> describe_standing(const StandingInputs& in) {
    std::vector<std::string> out;
    if (!in.host_fault.empty()) out.push_back(in.host_fault + ": FAULT");
    for (const auto& s : in.signals) {
        if (s.weight == 0 && s.failing)
            out.push_back(fault_text(s) + ": FAULT");
        else if (weight_applies(s))
            out.push_back(
                fmt::format("{} {} ({:+d})", s.what, s.failing ? "failing" : "ok", s.weight));
    }
    for (const auto& [key, reason] : in.external_faults) out.push_back(reason + ": FAULT");
    if (in.group_weight != 0) out.push_back(fmt::format("sync group ({:+d})", in.group_weight));
    return out;
}

}  // namespace directord::vrrp
