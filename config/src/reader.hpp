#pragma once
// The loader's YAML reader, shared by its sections (internal to config/).
#include <fmt/format.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "directord/config/loader.hpp"

namespace directord::config::detail {

// Why a program may not be run (a part of its path others can write), or none.
std::optional<std::string> unsafe_program(const std::string& program);

// Walks the YAML tree, converts values to typed ones and records every error with its
// position and key path; callers keep going after an error so all of them are reported.
class Reader {
  public:
    explicit Reader(std::string source) : source_(std::move(source)) {}

    std::vector<Error>& errors() { return errors_; }

    Location where(const YAML::Node& node) const {
        auto mark = node.Mark();
        // yaml-cpp marks are 0-based; editors count from 1.
        return Location{source_, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1};
    }

    void fail(const YAML::Node& node, const std::string& path, std::string message) {
        errors_.push_back(Error{where(node), path, std::move(message)});
    }

    bool is_map(const YAML::Node& node, const std::string& path) {
        if (node.IsMap()) return true;
        fail(node, path, "expected a mapping");
        return false;
    }

    bool is_sequence(const YAML::Node& node, const std::string& path) {
        if (node.IsSequence()) return true;
        fail(node, path, "expected a list");
        return false;
    }

    void reject_unknown_keys(const YAML::Node& map, const std::string& path,
                             std::initializer_list<std::string_view> allowed) {
        std::set<std::string> seen;
        for (const auto& entry : map) {
            if (!entry.first.IsScalar()) {
                fail(entry.first, path, "a key must be a plain string");
                continue;
            }
            auto key = entry.first.Scalar();
            if (!seen.insert(key).second) {
                fail(entry.first, join(path, key), "duplicate key (the first one would be used)");
                continue;
            }
            bool known = false;
            for (auto a : allowed) known = known || key == a;
            if (!known) {
                std::string list;
                for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
                fail(entry.first, join(path, key),
                     fmt::format("unknown key (expected one of: {})", list));
            }
        }
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
    }
    static std::string index(const std::string& path, std::size_t i) {
        return fmt::format("{}[{}]", path, i);
    }

    std::optional<std::string> string(const YAML::Node& node, const std::string& path) {
        if (!node.IsScalar()) {
            fail(node, path, "expected a string");
            return std::nullopt;
        }
        return node.Scalar();
    }

    std::optional<long long> integer(const YAML::Node& node, const std::string& path, long long min,
                                     long long max) {
        long long value = 0;
        if (!node.IsScalar() || !YAML::convert<long long>::decode(node, value)) {
            fail(node, path, "expected an integer");
            return std::nullopt;
        }
        if (value < min || value > max) {
            fail(node, path, fmt::format("{} is out of range ({}..{})", value, min, max));
            return std::nullopt;
        }
        return value;
    }

    std::optional<bool> boolean(const YAML::Node& node, const std::string& path) {
        bool value = false;
        if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
            fail(node, path, "expected true or false");
            return std::nullopt;
        }
        return value;
    }

    std::optional<Duration> duration(const YAML::Node& node, const std::string& path, Duration min,
                                     Duration max) {
        if (!node.IsScalar()) {
            fail(node, path, "expected a duration such as 1s or 100ms");
            return std::nullopt;
        }
        auto value = parse_duration(node.Scalar());
        if (!value) {
            fail(node, path,
                 fmt::format("'{}' is not a duration (use e.g. 1s, 100ms)", node.Scalar()));
            return std::nullopt;
        }
        if (*value < min || *value > max) {
            fail(node, path,
                 fmt::format("{} is out of range ({}..{})", node.Scalar(), format_duration(min),
                             format_duration(max)));
            return std::nullopt;
        }
        return value;
    }

    // A string that must be one of `options`: "'POST' is not GET or HEAD".
    std::optional<std::string> choice(const YAML::Node& node, const std::string& path,
                                      std::initializer_list<std::string_view> options) {
        auto value = string(node, path);
        if (!value) return value;
        for (auto o : options)
            if (*value == o) return value;
        std::string list;
        std::size_t i = 0;
        for (auto o : options)
            list += (i++ == 0 ? "" : i == options.size() ? " or " : ", ") + std::string(o);
        fail(node, path, fmt::format("'{}' is not {}", *value, list));
        return std::nullopt;
    }

    // One of two words: false for `off`, true for `on` (e.g. keep / remove).
    std::optional<bool> either(const YAML::Node& node, const std::string& path,
                               std::string_view off, std::string_view on) {
        auto value = choice(node, path, {off, on});
        return value ? std::optional(*value == on) : std::nullopt;
    }

    std::optional<IpAddress> address(const YAML::Node& node, const std::string& path) {
        auto text = string(node, path);
        if (!text) return std::nullopt;
        auto value = parse_address(*text);
        if (!value) fail(node, path, fmt::format("'{}' is not an IP address", *text));
        return value;
    }

    std::vector<std::string> argv(const YAML::Node& node, const std::string& path) {
        std::vector<std::string> out;
        if (!is_sequence(node, path)) return out;
        for (std::size_t i = 0; i < node.size(); ++i) {
            if (auto s = string(node[i], index(path, i))) out.push_back(*s);
        }
        if (out.empty()) {
            fail(node, path, "expected a non-empty command [program, arg, ...]");
        } else if (out.front().empty() || out.front()[0] != '/') {
            fail(node[0], index(path, 0),
                 "the program must be an absolute path (no shell is used)");
        } else if (access(out.front().c_str(), X_OK) != 0) {
            fail(node[0], index(path, 0),
                 fmt::format("'{}' does not exist or is not executable", out.front()));
        } else if (auto why = unsafe_program(out.front())) {
            fail(node[0], index(path, 0), *why);
        }
        return out;
    }

    // Reads map[key] through `convert` if present; leaves `target` at its default otherwise.
    template <class Convert, class T>
    void optional_key(const YAML::Node& map, const std::string& path, std::string_view key,
                      T& target, Convert convert) {
        auto node = map[std::string(key)];
        if (!node) return;
        if (auto value = convert(node, join(path, key))) target = static_cast<T>(*value);
    }

    // The common optional keys, each checked as its reader would check the value alone.
    template <class T>
    void optional_integer(const YAML::Node& map, const std::string& path, std::string_view key,
                          T& target, long long min, long long max) {
        optional_key(map, path, key, target,
                     [&](auto& n, auto p) { return integer(n, p, min, max); });
    }
    template <class T>
    void optional_duration(const YAML::Node& map, const std::string& path, std::string_view key,
                           T& target, Duration min, Duration max) {
        optional_key(map, path, key, target,
                     [&](auto& n, auto p) { return duration(n, p, min, max); });
    }
    template <class T>
    void optional_boolean(const YAML::Node& map, const std::string& path, std::string_view key,
                          T& target) {
        optional_key(map, path, key, target, [&](auto& n, auto p) { return boolean(n, p); });
    }
    template <class T>
    void optional_string(const YAML::Node& map, const std::string& path, std::string_view key,
                         T& target) {
        optional_key(map, path, key, target, [&](auto& n, auto p) { return string(n, p); });
    }

    // A required key: reports it missing at the map's position.
    YAML::Node required(const YAML::Node& map, const std::string& path, std::string_view key) {
        auto node = map[std::string(key)];
        if (!node) fail(map, path, fmt::format("missing required key '{}'", key));
        return node;
    }

  private:
    std::string source_;
    std::vector<Error> errors_;
};

template <class Item, class ReadOne>
std::vector<Item> read_list(Reader& r, const YAML::Node& node, const std::string& path,
                            ReadOne read_one) {
    std::vector<Item> out;
    if (!r.is_sequence(node, path)) return out;
    out.reserve(node.size());  // kept as read: tens of thousands of real servers, no slack
    for (std::size_t i = 0; i < node.size(); ++i) {
        if (auto item = read_one(node[i], Reader::index(path, i))) out.push_back(std::move(*item));
    }
    return out;
}

}  // namespace directord::config::detail
