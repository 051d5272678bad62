#include "directord/config/loader.hpp"

#include <fmt/format.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include "directord/config/settled_file.hpp"

namespace directord::config {

std::string Error::to_string() const {
    std::string where = fmt::format("{}:{}:{}", location.file, location.line, location.column);
    if (key_path.empty()) return fmt::format("{}: {}", where, message);
    return fmt::format("{}: {}: {}", where, key_path, message);
}

namespace {

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
        boost::system::error_code ec;
        auto value = boost::asio::ip::make_address(*text, ec);
        if (ec) {
            fail(node, path, fmt::format("'{}' is not an IP address", *text));
            return std::nullopt;
        }
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

std::optional<Vip> read_vip(Reader& r, const YAML::Node& node, const std::string& path) {
    Vip vip;
    std::optional<std::string> text;
    // yaml-cpp's Node::operator= overwrites the referenced node, so pick the node once.
    const YAML::Node spec_node = node.IsMap() ? node["address"] : node;
    if (node.IsMap()) {
        r.reject_unknown_keys(node, path, {"address", "label", "scope"});
        if (!r.required(node, path, "address")) return std::nullopt;
        text = r.string(spec_node, Reader::join(path, "address"));
        r.optional_key(node, path, "label", vip.label, [&](auto& n, auto p) {
            auto s = r.string(n, p);
            if (s && s->size() > 15) {
                r.fail(n, p, "an interface label is at most 15 characters");
                return std::optional<std::string>{};
            }
            return s;
        });
        r.optional_key(node, path, "scope", vip.scope, [&](auto& n, auto p) {
            static const std::map<std::string, AddressScope> scopes{
                {"global", AddressScope::global},
                {"site", AddressScope::site},
                {"link", AddressScope::link},
                {"host", AddressScope::host}};
            auto s = r.string(n, p);
            std::optional<AddressScope> out;
            if (!s) return out;
            if (auto it = scopes.find(*s); it != scopes.end())
                out = it->second;
            else
                r.fail(n, p, fmt::format("'{}' is not a scope (global, site, link, host)", *s));
            return out;
        });
    } else {
        text = r.string(node, path);
    }
    if (!text) return std::nullopt;
    auto slash = text->find('/');
    boost::system::error_code ec;
    vip.address = boost::asio::ip::make_address(text->substr(0, slash), ec);
    if (ec) {
        r.fail(spec_node, path, fmt::format("'{}' is not an IP address", *text));
        return std::nullopt;
    }
    int max_prefix = vip.address.is_v4() ? 32 : 128;
    vip.prefix_length = static_cast<std::uint8_t>(max_prefix);
    if (slash != std::string::npos) {
        int prefix = -1;
        auto digits = text->substr(slash + 1);
        auto [end, perr] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (perr != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
            prefix > max_prefix) {
            r.fail(spec_node, path,
                   fmt::format("'{}' has a bad prefix length (0..{})", *text, max_prefix));
            return std::nullopt;
        }
        vip.prefix_length = static_cast<std::uint8_t>(prefix);
    }
    return vip;
}

std::string read_password_file(Reader& r, const YAML::Node& node, const std::string& path) {
    auto file = r.string(node, path);
    if (!file) return {};
    struct stat st {};
    if (stat(file->c_str(), &st) != 0) {
        r.fail(node, path, fmt::format("cannot read '{}': no such file", *file));
        return {};
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        r.fail(node, path,
               fmt::format("'{}' must not be readable by group or others (chmod 600)", *file));
        return {};
    }
    std::ifstream in(*file);
    std::string secret;
    std::getline(in, secret);
    return secret;
}

void read_auth(Reader& r, const YAML::Node& node, const std::string& path, Auth& auth) {
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"type", "password", "password_file"});
    auto type_node = r.required(node, path, "type");
    if (!type_node) return;
    auto type = r.string(type_node, Reader::join(path, "type"));
    if (!type) return;
    if (*type == "none") {
        auth.type = AuthType::none;
        return;
    }
    if (*type != "pass") {
        r.fail(type_node, Reader::join(path, "type"),
               fmt::format("'{}' is not an auth type (none, pass)", *type));
        return;
    }
    auth.type = AuthType::pass;
    auto inline_pw = node["password"];
    auto file_pw = node["password_file"];
    if (inline_pw && file_pw) {
        r.fail(node, path, "give either password or password_file, not both");
        return;
    }
    std::size_t errors_before = r.errors().size();
    if (inline_pw) {
        if (auto s = r.string(inline_pw, Reader::join(path, "password"))) auth.password = *s;
    } else if (file_pw) {
        auth.password = read_password_file(r, file_pw, Reader::join(path, "password_file"));
    } else {
        r.fail(node, path, "type pass needs password or password_file");
        return;
    }
    if (r.errors().size() != errors_before) return;  // already explained; no follow-on errors
    const YAML::Node& at = inline_pw ? inline_pw : file_pw;
    if (auth.password.empty()) {
        r.fail(at, path, "the password is empty");
    } else if (auth.password.size() > 8) {
        // keepalived silently truncates to 8; a silent truncation hides typos between peers.
        r.fail(at, path, "a VRRPv2 PASS password is at most 8 characters");
    }
}

void read_garp(Reader& r, const YAML::Node& node, const std::string& path, Garp& garp) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"count", "spacing", "repeat_delay", "refresh"});
    r.optional_key(node, path, "count", garp.count,
                   [&](auto& n, auto p) { return r.integer(n, p, 0, 100); });
    r.optional_key(node, path, "spacing", garp.spacing,
                   [&](auto& n, auto p) { return r.duration(n, p, 0s, 1s); });
    r.optional_key(node, path, "repeat_delay", garp.repeat_delay,
                   [&](auto& n, auto p) { return r.duration(n, p, 0s, 3600s); });
    r.optional_key(node, path, "refresh", garp.refresh,
                   [&](auto& n, auto p) { return r.duration(n, p, 0s, 86400s); });
}

template <class Item, class ReadOne>
std::vector<Item> read_list(Reader& r, const YAML::Node& node, const std::string& path,
                            ReadOne read_one) {
    std::vector<Item> out;
    if (!r.is_sequence(node, path)) return out;
    for (std::size_t i = 0; i < node.size(); ++i) {
        if (auto item = read_one(node[i], Reader::index(path, i))) out.push_back(std::move(*item));
    }
    return out;
}

std::optional<TrackScript> read_track_script(Reader& r, const YAML::Node& node,
                                             const std::string& path) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path,
                          {"name", "run", "interval", "timeout", "weight", "fall", "rise"});
    TrackScript s;
    if (auto n = r.required(node, path, "name"))
        s.name = r.string(n, Reader::join(path, "name")).value_or("");
    if (auto n = r.required(node, path, "run")) s.argv = r.argv(n, Reader::join(path, "run"));
    r.optional_key(node, path, "interval", s.interval,
                   [&](auto& n, auto p) { return r.duration(n, p, 10ms, 3600s); });
    s.timeout = s.interval;
    r.optional_key(node, path, "timeout", s.timeout,
                   [&](auto& n, auto p) { return r.duration(n, p, 10ms, 3600s); });
    r.optional_key(node, path, "weight", s.weight,
                   [&](auto& n, auto p) { return r.integer(n, p, -254, 254); });
    r.optional_key(node, path, "fall", s.fall,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 100); });
    r.optional_key(node, path, "rise", s.rise,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 100); });
    return s;
}

std::optional<TrackInterface> read_track_interface(Reader& r, const YAML::Node& node,
                                                   const std::string& path) {
    TrackInterface t;
    if (node.IsScalar()) {
        t.name = node.Scalar();
        return t;
    }
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path, {"name", "weight"});
    if (auto n = r.required(node, path, "name"))
        t.name = r.string(n, Reader::join(path, "name")).value_or("");
    r.optional_key(node, path, "weight", t.weight,
                   [&](auto& n, auto p) { return r.integer(n, p, -254, 254); });
    return t;
}

// The watched file itself may come and go; its directory must exist or no watch can be set.
bool check_watchable(Reader& r, const YAML::Node& node, const std::string& path,
                     const std::string& file) {
    std::filesystem::path p(file);
    if (!p.is_absolute()) {
        r.fail(node, path, fmt::format("'{}' must be an absolute path", file));
        return false;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(p.parent_path(), ec)) {
        r.fail(node, path, fmt::format("directory '{}' does not exist", p.parent_path().string()));
        return false;
    }
    return true;
}

std::optional<TrackFile> read_track_file(Reader& r, const YAML::Node& node,
                                         const std::string& path) {
    TrackFile t;
    const YAML::Node path_node = node.IsMap() ? node["path"] : node;
    if (node.IsScalar()) {
        t.path = node.Scalar();
    } else {
        if (!r.is_map(node, path)) return std::nullopt;
        r.reject_unknown_keys(node, path, {"path", "weight"});
        if (!r.required(node, path, "path")) return std::nullopt;
        t.path = r.string(path_node, Reader::join(path, "path")).value_or("");
        r.optional_key(node, path, "weight", t.weight,
                       [&](auto& n, auto p) { return r.integer(n, p, -254, 254); });
    }
    if (!check_watchable(r, path_node, path, t.path)) return std::nullopt;
    return t;
}

std::optional<Check> read_check(Reader& r, const YAML::Node& node, const std::string& path);
std::optional<std::pair<IpAddress, std::uint16_t>> read_endpoint(Reader& r, const YAML::Node& node,
                                                                 const std::string& path);

std::optional<TrackCheck> read_track_check(Reader& r, const YAML::Node& node,
                                           const std::string& path) {
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path, {"name", "target", "weight", "check"});
    TrackCheck t;
    std::size_t errors_before = r.errors().size();
    if (auto n = r.required(node, path, "name"))
        t.name = r.string(n, Reader::join(path, "name")).value_or("");
    if (auto n = r.required(node, path, "target")) {
        if (auto ep = read_endpoint(r, n, Reader::join(path, "target")))
            std::tie(t.address, t.port) = *ep;
    }
    r.optional_key(node, path, "weight", t.weight,
                   [&](auto& n, auto p) { return r.integer(n, p, -254, 254); });
    if (auto n = r.required(node, path, "check")) {
        if (auto c = read_check(r, n, Reader::join(path, "check"))) t.check = *c;
    }
    if (r.errors().size() != errors_before) return std::nullopt;
    return t;
}

void read_track(Reader& r, const YAML::Node& node, const std::string& path, Instance& inst) {
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"scripts", "interfaces", "files", "checks"});
    if (auto n = node["checks"])
        inst.track_checks =
            read_list<TrackCheck>(r, n, Reader::join(path, "checks"),
                                  [&](auto& x, auto p) { return read_track_check(r, x, p); });
    if (auto n = node["scripts"])
        inst.track_scripts =
            read_list<TrackScript>(r, n, Reader::join(path, "scripts"),
                                   [&](auto& x, auto p) { return read_track_script(r, x, p); });
    if (auto n = node["interfaces"])
        inst.track_interfaces = read_list<TrackInterface>(
            r, n, Reader::join(path, "interfaces"),
            [&](auto& x, auto p) { return read_track_interface(r, x, p); });
    if (auto n = node["files"])
        inst.track_files =
            read_list<TrackFile>(r, n, Reader::join(path, "files"),
                                 [&](auto& x, auto p) { return read_track_file(r, x, p); });
}

// The addresses an instance moves with its role. The advertised ones share one family (the
// advert's); the excluded ones need not, as in keepalived.
std::vector<Vip> read_instance_vips(Reader& r, const YAML::Node& node, const std::string& path,
                                    const std::string& interface, bool one_family) {
    auto vips = read_list<Vip>(r, node, path, [&](auto& x, auto q) { return read_vip(r, x, q); });
    for (std::size_t i = 0; i < vips.size() && i < node.size(); ++i) {
        if (one_family && vips[i].address.is_v4() != vips.front().address.is_v4())
            r.fail(node[i], Reader::index(path, i),
                   "all VIPs of an instance must be of one address family");
        else if (vips[i].address.is_v6())
            r.fail(node[i], Reader::index(path, i),
                   "IPv6 VIPs are not supported yet (VRRPv3 over IPv4 only)");
        else if (!vips[i].label.empty() && !vips[i].label.starts_with(interface))
            r.fail(node[i], Reader::index(path, i),
                   fmt::format("label '{}' must start with the interface name '{}' (e.g. {}:0)",
                               vips[i].label, interface, interface));
    }
    return vips;
}

std::optional<Instance> read_instance(Reader& r, const YAML::Node& node, const std::string& path) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(
        node, path,
        {"name", "interface", "vrid", "version", "priority", "advert_interval", "preempt",
         "preempt_delay", "auth", "vips", "excluded_vips", "unicast_peers", "link_up_delay",
         "stray_vips", "garp", "track", "notify"});
    Instance inst;
    inst.location = r.where(node);
    std::size_t errors_before = r.errors().size();
    auto str = [&](auto& n, auto p) { return r.string(n, p); };
    if (auto n = r.required(node, path, "name"))
        inst.name = str(n, Reader::join(path, "name")).value_or("");
    if (auto n = r.required(node, path, "interface")) {
        inst.interface = str(n, Reader::join(path, "interface")).value_or("");
        if (inst.interface.size() > 15)
            r.fail(n, Reader::join(path, "interface"),
                   "an interface name is at most 15 characters");
    }
    if (auto n = r.required(node, path, "vrid"))
        inst.vrid =
            static_cast<std::uint8_t>(r.integer(n, Reader::join(path, "vrid"), 1, 255).value_or(0));
    r.optional_key(node, path, "version", inst.version, [&](auto& n, auto p) {
        auto v = r.integer(n, p, 2, 3);
        return v;
    });
    // 255 is reserved for the address owner; 0 is only ever sent to hand over.
    r.optional_key(node, path, "priority", inst.priority,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 255); });
    // v2 carries whole seconds (1..255); v3 carries centiseconds (10ms..40.95s).
    if (auto n = node["advert_interval"]) {
        auto p = Reader::join(path, "advert_interval");
        if (inst.version == 2) {
            if (auto d = r.duration(n, p, 1s, 255s)) {
                if (d->count() % 1000000 != 0)
                    r.fail(n, p, "VRRPv2 advert_interval must be whole seconds");
                else
                    inst.advert_interval = *d;
            }
        } else if (auto d = r.duration(n, p, 10ms, 4090ms + 36s)) {
            if (d->count() % 10000 != 0)
                r.fail(n, p, "VRRPv3 advert_interval must be a multiple of 10ms");
            else
                inst.advert_interval = *d;
        }
    }
    r.optional_key(node, path, "preempt", inst.preempt,
                   [&](auto& n, auto p) { return r.boolean(n, p); });
    r.optional_key(node, path, "preempt_delay", inst.preempt_delay,
                   [&](auto& n, auto p) { return r.duration(n, p, 0s, 1000s); });
    if (auto n = node["auth"]) {
        auto p = Reader::join(path, "auth");
        read_auth(r, n, p, inst.auth);
        if (inst.version == 3 && inst.auth.type != AuthType::none)
            r.fail(n, p, "VRRPv3 has no authentication (RFC 5798); remove auth or use version 2");
    }
    if (auto n = r.required(node, path, "vips")) {
        auto p = Reader::join(path, "vips");
        inst.vips = read_instance_vips(r, n, p, inst.interface, true);
        if (n.IsSequence() && n.size() == 0) r.fail(n, p, "at least one VIP is needed");
        if (inst.vips.size() > 255) r.fail(n, p, "at most 255 VIPs fit in one advertisement");
    }
    if (auto n = node["excluded_vips"]) {
        auto p = Reader::join(path, "excluded_vips");
        inst.excluded_vips = read_instance_vips(r, n, p, inst.interface, false);
        for (std::size_t i = 0; i < inst.excluded_vips.size() && i < n.size(); ++i)
            for (const auto& vip : inst.vips)
                if (vip.address == inst.excluded_vips[i].address)
                    r.fail(n[i], Reader::index(p, i),
                           fmt::format("{} is already in vips", vip.address.to_string()));
    }
    if (auto n = node["unicast_peers"]) {
        auto p = Reader::join(path, "unicast_peers");
        inst.unicast_peers =
            read_list<IpAddress>(r, n, p, [&](auto& x, auto q) { return r.address(x, q); });
        for (std::size_t i = 0; i < inst.unicast_peers.size() && i < n.size(); ++i) {
            if (!inst.vips.empty() &&
                inst.unicast_peers[i].is_v4() != inst.vips.front().address.is_v4())
                r.fail(n[i], Reader::index(p, i),
                       "a unicast peer must be of the VIPs' address family");
        }
    }
    r.optional_key(node, path, "link_up_delay", inst.link_up_delay,
                   [&](auto& n, auto p) { return r.duration(n, p, 0s, 3600s); });
    r.optional_key(node, path, "stray_vips", inst.remove_stray_vips,
                   [&](auto& n, auto p) { return r.either(n, p, "warn", "remove"); });
    if (auto n = node["garp"]) read_garp(r, n, Reader::join(path, "garp"), inst.garp);
    if (auto n = node["track"]) read_track(r, n, Reader::join(path, "track"), inst);
    if (auto n = node["notify"]) inst.notify = r.argv(n, Reader::join(path, "notify"));
    if (r.errors().size() != errors_before) return std::nullopt;
    return inst;
}

void read_vrrp(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "vrrp";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"instances", "sync_groups"});
    std::map<std::string, int> seen_names;
    std::set<std::tuple<std::string, int, bool>> seen_vrids;
    if (auto list = node["instances"]) {
        auto p = Reader::join(path, "instances");
        if (!r.is_sequence(list, p)) return;
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto ip = Reader::index(p, i);
            auto inst = read_instance(r, list[i], ip);
            if (!inst) continue;
            if (seen_names.contains(inst->name)) {
                r.fail(list[i]["name"], Reader::join(ip, "name"),
                       fmt::format("duplicate instance name '{}' (first at line {})", inst->name,
                                   seen_names[inst->name]));
                continue;
            }
            seen_names[inst->name] = inst->location.line;
            if (!seen_vrids.emplace(inst->interface, inst->vrid, inst->ipv6()).second) {
                r.fail(list[i]["vrid"], Reader::join(ip, "vrid"),
                       fmt::format("vrid {} is already used on interface {}", inst->vrid,
                                   inst->interface));
                continue;
            }
            cfg.instances.push_back(std::move(*inst));
        }
    }
    if (auto list = node["sync_groups"]) {
        auto p = Reader::join(path, "sync_groups");
        std::map<std::string, std::string> group_of;
        cfg.sync_groups =
            read_list<SyncGroup>(r, list, p, [&](auto& g, auto gp) -> std::optional<SyncGroup> {
                if (!r.is_map(g, gp)) return std::nullopt;
                r.reject_unknown_keys(g, gp, {"name", "instances"});
                SyncGroup group;
                if (auto n = r.required(g, gp, "name"))
                    group.name = r.string(n, Reader::join(gp, "name")).value_or("");
                auto members = r.required(g, gp, "instances");
                if (!members) return std::nullopt;
                auto mp = Reader::join(gp, "instances");
                group.instances = read_list<std::string>(
                    r, members, mp, [&](auto& x, auto q) { return r.string(x, q); });
                for (std::size_t i = 0; i < group.instances.size() && i < members.size(); ++i) {
                    const auto& m = group.instances[i];
                    if (!seen_names.contains(m)) {
                        r.fail(members[i], Reader::index(mp, i),
                               fmt::format("no instance named '{}'", m));
                    } else if (auto [it, fresh] = group_of.emplace(m, group.name); !fresh) {
                        r.fail(members[i], Reader::index(mp, i),
                               fmt::format("instance '{}' is already in sync group '{}'", m,
                                           it->second));
                    }
                }
                if (group.instances.size() < 2)
                    r.fail(members, mp, "a sync group needs at least two instances");
                return group;
            });
    }
}

// "10.0.0.1:80" or "[fd00::1]:80".
std::optional<std::pair<IpAddress, std::uint16_t>> read_endpoint(Reader& r, const YAML::Node& node,
                                                                 const std::string& path) {
    auto text = r.string(node, path);
    if (!text) return std::nullopt;
    auto colon = text->rfind(':');
    std::string host = colon == std::string::npos ? *text : text->substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(host, ec);
    int port = -1;
    if (colon != std::string::npos) {
        auto digits = text->substr(colon + 1);
        auto [end, perr] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (perr != std::errc{} || end != digits.data() + digits.size()) port = -1;
    }
    if (ec || colon == std::string::npos || port < 1 || port > 65535 ||
        (address.is_v6() && text->front() != '[')) {
        r.fail(node, path, fmt::format("'{}' is not ADDRESS:PORT (IPv6: [ADDRESS]:PORT)", *text));
        return std::nullopt;
    }
    return std::make_pair(address, static_cast<std::uint16_t>(port));
}

std::optional<StatusRange> read_status(Reader& r, const YAML::Node& node, const std::string& path) {
    auto text = r.string(node, path);
    if (!text) return std::nullopt;
    StatusRange range;
    auto dash = text->find('-');
    auto number = [](const std::string& t, int& out) {
        auto [end, err] = std::from_chars(t.data(), t.data() + t.size(), out);
        return err == std::errc{} && end == t.data() + t.size() && out >= 100 && out <= 599;
    };
    bool ok = dash == std::string::npos
                  ? number(*text, range.low) && number(*text, range.high)
                  : number(text->substr(0, dash), range.low) &&
                        number(text->substr(dash + 1), range.high) && range.low <= range.high;
    if (!ok) {
        r.fail(node, path,
               fmt::format("'{}' is not a status code or range (e.g. 200, 200-299)", *text));
        return std::nullopt;
    }
    return range;
}

std::optional<HttpCheck> read_http(Reader& r, const YAML::Node& node, const std::string& path) {
    HttpCheck h;
    if (node.IsNull()) return h;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(
        node, path,
        {"method", "path", "host", "status", "body_regex", "tls", "verify", "sni", "ca_file"});
    auto str = [&](auto& n, auto p) { return r.string(n, p); };
    r.optional_key(node, path, "method", h.method, [&](auto& n, auto p) {
        return r.choice(n, p, {"GET", "HEAD"});
    });
    r.optional_key(node, path, "path", h.path, [&](auto& n, auto p) {
        auto v = r.string(n, p);
        if (v && (v->empty() || v->front() != '/')) {
            r.fail(n, p, "the path must start with /");
            v.reset();
        }
        return v;
    });
    r.optional_key(node, path, "host", h.host, str);
    if (auto n = node["status"]) {
        auto p = Reader::join(path, "status");
        if (n.IsScalar()) {
            if (auto one = read_status(r, n, p)) h.status = {*one};
        } else {
            h.status = read_list<StatusRange>(
                r, n, p, [&](auto& x, auto q) { return read_status(r, x, q); });
        }
    }
    r.optional_key(node, path, "body_regex", h.body_regex, [&](auto& n, auto p) {
        auto v = r.string(n, p);
        if (v) {
            RE2 compiled(*v, RE2::Quiet);
            if (!compiled.ok()) {
                r.fail(n, p,
                       fmt::format("not a valid regular expression (RE2 syntax): {}",
                                   compiled.error()));
                v.reset();
            }
        }
        return v;
    });
    r.optional_key(node, path, "tls", h.tls, [&](auto& n, auto p) { return r.boolean(n, p); });
    r.optional_key(node, path, "verify", h.verify,
                   [&](auto& n, auto p) { return r.boolean(n, p); });
    r.optional_key(node, path, "sni", h.sni, str);
    r.optional_key(node, path, "ca_file", h.ca_file, [&](auto& n, auto p) {
        auto v = r.string(n, p);
        if (v && access(v->c_str(), R_OK) != 0) {
            r.fail(n, p, fmt::format("cannot read '{}'", *v));
            v.reset();
        }
        return v;
    });
    return h;
}

std::optional<Check> read_check(Reader& r, const YAML::Node& node, const std::string& path) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path,
                          {"tcp", "http", "script", "mysql", "galera", "port", "interval",
                           "timeout", "retries", "retry_delay", "rise", "fall", "initial"});
    Check c;
    std::size_t errors_before = r.errors().size();
    int kinds = 0;
    if (auto n = node["tcp"]) {
        ++kinds;
        TcpCheck t;
        auto p = Reader::join(path, "tcp");
        if (!n.IsNull() && r.is_map(n, p)) {
            r.reject_unknown_keys(n, p, {"bind"});
            if (auto b = n["bind"]) t.bind = r.address(b, Reader::join(p, "bind"));
        }
        c.kind = t;
    }
    if (auto n = node["http"]) {
        ++kinds;
        if (auto h = read_http(r, n, Reader::join(path, "http"))) c.kind = *h;
    }
    if (auto n = node["script"]) {
        ++kinds;
        auto p = Reader::join(path, "script");
        ScriptCheck sc;
        if (r.is_map(n, p)) {
            r.reject_unknown_keys(n, p, {"run"});
            if (auto run = r.required(n, p, "run")) sc.argv = r.argv(run, Reader::join(p, "run"));
        }
        c.kind = sc;
    }
    // MySQL and Galera share the login; the password always comes from a private file.
    auto login = [&](const YAML::Node& n, const std::string& p, std::string& user,
                     std::string& password) {
        if (auto u = r.required(n, p, "user"))
            user = r.string(u, Reader::join(p, "user")).value_or("");
        if (auto f = r.required(n, p, "password_file"))
            password = read_password_file(r, f, Reader::join(p, "password_file"));
    };
    if (auto n = node["mysql"]) {
        ++kinds;
        auto p = Reader::join(path, "mysql");
        MysqlCheck m;
        if (r.is_map(n, p)) {
            r.reject_unknown_keys(n, p, {"user", "password_file", "query"});
            login(n, p, m.user, m.password);
            r.optional_key(n, p, "query", m.query, [&](auto& x, auto q) { return r.string(x, q); });
        }
        c.kind = m;
    }
    if (auto n = node["galera"]) {
        ++kinds;
        auto p = Reader::join(path, "galera");
        GaleraCheck g;
        if (r.is_map(n, p)) {
            r.reject_unknown_keys(n, p, {"user", "password_file", "donor_ok"});
            login(n, p, g.user, g.password);
            r.optional_key(n, p, "donor_ok", g.donor_ok,
                           [&](auto& x, auto q) { return r.boolean(x, q); });
        }
        c.kind = g;
    }
    if (kinds != 1)
        r.fail(node, path, "give exactly one check kind: tcp, http, script, mysql or galera");
    r.optional_key(node, path, "port", c.port,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 65535); });
    r.optional_key(node, path, "interval", c.interval,
                   [&](auto& n, auto p) { return r.duration(n, p, 10ms, 3600s); });
    r.optional_key(node, path, "timeout", c.timeout,
                   [&](auto& n, auto p) { return r.duration(n, p, 1ms, 3600s); });
    r.optional_key(node, path, "retries", c.retries,
                   [&](auto& n, auto p) { return r.integer(n, p, 0, 100); });
    r.optional_key(node, path, "retry_delay", c.retry_delay,
                   [&](auto& n, auto p) { return r.duration(n, p, 0s, 3600s); });
    r.optional_key(node, path, "rise", c.rise,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 100); });
    r.optional_key(node, path, "fall", c.fall,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 100); });
    r.optional_key(node, path, "initial", c.initially_up, [&](auto& n, auto p) {
        auto v = r.choice(n, p, {"down", "up"});
        return v ? std::optional<bool>(*v == "up") : std::nullopt;
    });
    if (r.errors().size() != errors_before) return std::nullopt;
    return c;
}

std::optional<Forwarding> read_forwarding(Reader& r, const YAML::Node& node,
                                          const std::string& path) {
    auto v = r.choice(node, path, {"nat", "dr", "tun"});
    if (!v) return std::nullopt;
    return *v == "nat" ? Forwarding::nat : *v == "dr" ? Forwarding::direct : Forwarding::tunnel;
}

bool instance_exists(const Config& cfg, const std::string& name) {
    return std::any_of(cfg.instances.begin(), cfg.instances.end(),
                       [&](const Instance& i) { return i.name == name; });
}

// The IPVS settings of a virtual server (scheduler, forwarding, persistence, failure policy,
// sorry server, quorum, VRRP coupling).
void read_ipvs_settings(Reader& r, const YAML::Node& v, const std::string& vp, const Config& cfg,
                        VirtualServer& vs) {
    using namespace std::chrono_literals;
    r.optional_key(v, vp, "scheduler", vs.scheduler, [&](auto& n, auto p) {
        return r.choice(n, p,
                        {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh",
                         "fo", "ovf"});
    });
    if (auto list = v["scheduler_flags"]) {
        auto lp = Reader::join(vp, "scheduler_flags");
        vs.scheduler_flags =
            read_list<std::string>(r, list, lp, [&](auto& x, auto p) -> std::optional<std::string> {
                auto flag = r.choice(x, p, {"fallback", "port"});
                if (flag && vs.scheduler != "sh" && vs.scheduler != "mh") {
                    r.fail(x, p, "scheduler flags exist for the sh and mh schedulers only");
                    return std::nullopt;
                }
                return flag;
            });
    }
    r.optional_key(v, vp, "one_packet", vs.one_packet,
                   [&](auto& n, auto p) { return r.boolean(n, p); });
    r.optional_key(v, vp, "forwarding", vs.forwarding,
                   [&](auto& n, auto p) { return read_forwarding(r, n, p); });
    if (auto p = v["persistence"]) {
        auto pp = Reader::join(vp, "persistence");
        if (r.is_map(p, pp)) {
            r.reject_unknown_keys(p, pp, {"timeout", "netmask"});
            if (auto t = r.required(p, pp, "timeout"))
                vs.persistence =
                    r.duration(t, Reader::join(pp, "timeout"), 1s, 31536000s).value_or(Duration{0});
            if (auto m = p["netmask"]) {
                auto mp = Reader::join(pp, "netmask");
                if (auto text = r.string(m, mp)) {
                    boost::system::error_code ec;
                    auto mask = boost::asio::ip::make_address_v4(*text, ec);
                    if (ec)
                        r.fail(m, mp, "'" + *text + "' is not an IPv4 netmask");
                    else
                        vs.persistence_netmask = mask;
                }
            }
        }
    }
    r.optional_key(v, vp, "on_failure", vs.on_failure, [&](auto& n, auto p) {
        auto inhibit = r.either(n, p, "remove", "inhibit");
        return inhibit ? std::optional(*inhibit ? OnFailure::inhibit : OnFailure::remove)
                       : std::nullopt;
    });
    if (auto n = v["sorry_server"]) {
        if (auto ep = read_endpoint(r, n, Reader::join(vp, "sorry_server")))
            vs.sorry_server = Endpoint{ep->first, ep->second};
    }
    r.optional_key(v, vp, "quorum", vs.quorum,
                   [&](auto& n, auto p) { return r.integer(n, p, 1, 1 << 30); });
    r.optional_key(v, vp, "quorum_hysteresis", vs.quorum_hysteresis,
                   [&](auto& n, auto p) { return r.integer(n, p, 0, 1 << 30); });
    if (auto n = v["vrrp_instance"]) {
        auto ip = Reader::join(vp, "vrrp_instance");
        if (auto name = r.string(n, ip)) {
            if (instance_exists(cfg, *name))
                vs.vrrp_instance = *name;
            else
                r.fail(n, ip, "no VRRP instance named '" + *name + "'");
        }
    }
}

void read_virtual_servers(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "virtual_servers";
    std::map<std::string, int> names;
    std::set<std::tuple<IpAddress, std::uint16_t, std::string, std::uint32_t>> endpoints;
    cfg.virtual_servers = read_list<VirtualServer>(
        r, node, path, [&](auto& v, auto vp) -> std::optional<VirtualServer> {
            if (!r.is_map(v, vp)) return std::nullopt;
            r.reject_unknown_keys(
                v, vp,
                {"name", "address", "fwmark", "protocol", "scheduler", "scheduler_flags",
                 "one_packet", "forwarding", "persistence", "on_failure", "sorry_server", "quorum",
                 "quorum_hysteresis", "vrrp_instance", "check", "real_servers"});
            VirtualServer vs;
            std::size_t errors_before = r.errors().size();
            r.optional_key(v, vp, "fwmark", vs.fwmark,
                           [&](auto& n, auto p) { return r.integer(n, p, 1, 0xffffffffLL); });
            if (vs.fwmark && v["address"]) {
                r.fail(v["address"], Reader::join(vp, "address"),
                       "a fwmark service has no address (the mark selects the traffic)");
            } else if (!vs.fwmark) {
                if (auto n = r.required(v, vp, "address")) {
                    if (auto ep = read_endpoint(r, n, Reader::join(vp, "address")))
                        std::tie(vs.address, vs.port) = *ep;
                }
            }
            r.optional_key(v, vp, "protocol", vs.protocol, [&](auto& n, auto p) {
                return r.choice(n, p, {"tcp", "udp"});
            });
            read_ipvs_settings(r, v, vp, cfg, vs);
            if (auto n = v["check"]) vs.check = read_check(r, n, Reader::join(vp, "check"));
            if (auto list = r.required(v, vp, "real_servers")) {
                auto lp = Reader::join(vp, "real_servers");
                std::set<std::pair<IpAddress, std::uint16_t>> seen;
                vs.real_servers = read_list<RealServer>(
                    r, list, lp, [&](auto& x, auto rp) -> std::optional<RealServer> {
                        if (!r.is_map(x, rp)) return std::nullopt;
                        r.reject_unknown_keys(x, rp, {"address", "weight", "forwarding", "check"});
                        RealServer rs;
                        auto a = r.required(x, rp, "address");
                        if (!a) return std::nullopt;
                        auto ep = read_endpoint(r, a, Reader::join(rp, "address"));
                        if (!ep) return std::nullopt;
                        std::tie(rs.address, rs.port) = *ep;
                        if (!seen.insert(*ep).second) {
                            r.fail(a, Reader::join(rp, "address"),
                                   "duplicate real server in this virtual server");
                            return std::nullopt;
                        }
                        if (!vs.fwmark && rs.address.is_v6() != vs.address.is_v6()) {
                            r.fail(a, Reader::join(rp, "address"),
                                   "a real server must be of the virtual server's address family");
                            return std::nullopt;
                        }
                        r.optional_key(x, rp, "weight", rs.weight,
                                       [&](auto& n, auto p) { return r.integer(n, p, 0, 65535); });
                        if (auto n = x["forwarding"])
                            rs.forwarding = read_forwarding(r, n, Reader::join(rp, "forwarding"));
                        if (auto n = x["check"])
                            rs.check = read_check(r, n, Reader::join(rp, "check"));
                        return rs;
                    });
            }
            if (r.errors().size() != errors_before) return std::nullopt;
            vs.name = vs.fwmark
                          ? fmt::format("fwmark:{}", vs.fwmark)
                          : fmt::format("{}:{}",
                                        vs.address.is_v6() ? "[" + vs.address.to_string() + "]"
                                                           : vs.address.to_string(),
                                        vs.port);
            r.optional_key(v, vp, "name", vs.name, [&](auto& n, auto p) { return r.string(n, p); });
            if (!endpoints.emplace(vs.address, vs.port, vs.fwmark ? "" : vs.protocol, vs.fwmark)
                     .second) {
                r.fail(
                    v, vp,
                    fmt::format("another virtual server already uses {} {}", vs.protocol, vs.name));
                return std::nullopt;
            }
            if (auto [it, fresh] = names.emplace(vs.name, r.where(v).line); !fresh) {
                r.fail(v, vp,
                       fmt::format("duplicate virtual server name '{}' (first at line {})", vs.name,
                                   it->second));
                return std::nullopt;
            }
            return vs;
        });
}

void read_ipvs(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "ipvs";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"sync_daemon", "on_stop", "unmanaged"});
    r.optional_key(node, path, "unmanaged", cfg.ipvs.remove_unmanaged,
                   [&](auto& n, auto p) { return r.either(n, p, "keep", "remove"); });
    r.optional_key(node, path, "on_stop", cfg.ipvs.remove_on_stop,
                   [&](auto& n, auto p) { return r.either(n, p, "keep", "remove"); });
    if (auto d = node["sync_daemon"]) {
        auto dp = Reader::join(path, "sync_daemon");
        if (!r.is_map(d, dp)) return;
        r.reject_unknown_keys(d, dp, {"interface", "instance", "sync_id"});
        SyncDaemon daemon;
        if (auto n = r.required(d, dp, "interface"))
            daemon.interface = r.string(n, Reader::join(dp, "interface")).value_or("");
        if (auto n = r.required(d, dp, "instance")) {
            auto ip = Reader::join(dp, "instance");
            daemon.instance = r.string(n, ip).value_or("");
            if (!daemon.instance.empty() && !instance_exists(cfg, daemon.instance))
                r.fail(n, ip, "no VRRP instance named '" + daemon.instance + "'");
        }
        r.optional_key(d, dp, "sync_id", daemon.sync_id,
                       [&](auto& n, auto p) { return r.integer(n, p, 0, 255); });
        cfg.ipvs.sync_daemon = daemon;
    }
}

void read_control(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "control";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"socket", "metrics"});
    if (auto n = node["socket"]) {
        auto file = r.string(n, Reader::join(path, "socket"));
        if (file && check_watchable(r, n, Reader::join(path, "socket"), *file))
            cfg.control.socket = *file;
    }
    if (auto n = node["metrics"])
        if (auto ep = read_endpoint(r, n, Reader::join(path, "metrics")))
            cfg.control.metrics = Endpoint{ep->first, ep->second};
}

LoadResult validate(const YAML::Node& root, const std::string& source) {
    Reader r(source);
    Config cfg;
    cfg.source = source;
    if (!root || root.IsNull()) {
        r.fail(root, "", "the file is empty");
    } else if (r.is_map(root, "")) {
        r.reject_unknown_keys(
            root, "",
            {"router_id", "maintenance_file", "vrrp", "virtual_servers", "ipvs", "control"});
        if (auto n = root["router_id"]) cfg.router_id = r.string(n, "router_id").value_or("");
        if (auto n = root["maintenance_file"]) {
            auto file = r.string(n, "maintenance_file");
            if (file && check_watchable(r, n, "maintenance_file", *file))
                cfg.maintenance_file = *file;
        }
        if (auto n = root["vrrp"]) read_vrrp(r, n, cfg);
        if (auto n = root["virtual_servers"]) read_virtual_servers(r, n, cfg);
        if (auto n = root["ipvs"]) read_ipvs(r, n, cfg);
        if (auto n = root["control"]) read_control(r, n, cfg);
    }
    if (!r.errors().empty()) return std::move(r.errors());
    return cfg;
}

}  // namespace

LoadResult load_text(const std::string& text, const std::string& source_name) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return std::vector<Error>{
            Error{Location{source_name, e.mark.line + 1, e.mark.column + 1}, "", e.msg}};
    }
    try {
        return validate(root, source_name);
    } catch (const YAML::Exception& e) {
        // A shape the validator did not foresee must still be a message, never a crash.
        return std::vector<Error>{Error{Location{source_name, e.mark.line + 1, e.mark.column + 1},
                                        "", "unexpected structure: " + e.msg}};
    }
}

LoadResult load_file(const std::string& path) {
    auto text = read_settled_file(path);
    if (auto* error = std::get_if<SettledFileError>(&text))
        return std::vector<Error>{Error{Location{path, 0, 0}, "", error->message}};
    return load_text(std::get<std::string>(text), path);
}

}  // namespace directord::config
