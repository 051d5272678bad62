#pragma once
// A configuration a test expects to be valid: its errors are test failures.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "directord/config/loader.hpp"

inline directord::config::Config valid_config(const std::string& yaml) {
    auto result = directord::config::load_text(yaml, "t.yaml");
    if (auto* errors = std::get_if<std::vector<directord::config::Error>>(&result)) {
        for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
        return {};
    }
    return std::get<directord::config::Config>(result);
}

// The messages of a configuration a test expects to be refused (none if it loads).
inline std::vector<std::string> config_errors(const std::string& yaml) {
    auto result = directord::config::load_text(yaml, "t.yaml");
    std::vector<std::string> out;
    if (auto* errors = std::get_if<std::vector<directord::config::Error>>(&result))
        for (const auto& e : *errors) out.push_back(e.to_string());
    return out;
}
