#include "directord/config/keepalived_import.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "keepalived_convert.hpp"

namespace directord::config {
namespace detail {

// ---- Writing YAML -----------------------------------------------------------------------------

std::string yaml_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// keepalived writes seconds, possibly fractional: "1", "0.5".
std::string seconds(const std::string& value) {
    try {
        std::size_t used = 0;
        double v = std::stod(value, &used);
        // Out of range (inf, 1e300) stays as written: the loader then names it.
        if (used != value.size() || !(v >= 0 && v <= 1e6)) return yaml_string(value);
        auto ms = static_cast<long long>(v * 1000 + 0.5);
        return ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
    } catch (const std::exception&) {
        return yaml_string(value);
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    return s;
}

std::string argv_of(const std::string& command, bool& through_shell) {
    through_shell = command.find_first_of("|&;<>()$`\\\"'*?[]~{}") != std::string::npos;
    std::vector<std::string> words;
    if (through_shell) {
        words = {"/bin/sh", "-c", command};
    } else {
        std::istringstream in(command);
        for (std::string w; in >> w;) words.push_back(w);
    }
    std::string out = "[";
    for (std::size_t i = 0; i < words.size(); ++i) out += (i ? ", " : "") + yaml_string(words[i]);
    return out + "]";
}

void ImportNotes::note(const Statement& s, std::string message) {
    notes_.push_back({s.file, s.line, true, std::move(message)});
}

void ImportNotes::skip(const Statement& s, const std::string& why) {
    notes_.push_back({s.file, s.line, false, s.keyword + (why.empty() ? "" : ": " + why)});
}

void ImportNotes::skip_setting(const Statement& s) {
    skip(s, s.keyword.starts_with("notify_")
                ? "use one notify program per instance; it gets the new state in "
                  "DIRECTORD_STATE"
                : "no directord equivalent");
}

}  // namespace detail

namespace {

using detail::ImportNotes;
using detail::Statement;
using namespace detail;

class Converter {
  public:
    explicit Converter(std::vector<ImportNote>& notes) : notes_(notes) {}

    std::string convert(const std::vector<Statement>& top) {
        // Scripts and track files first: instances and checks refer to them by name.
        for (const auto& s : top) {
            if (s.keyword == "vrrp_script") vrrp_.script(s);
            if (is_track_file(s)) track_files_[s.arg(0)] = read_track_file(s, notes_);
            if (s.keyword == "virtual_server_group") groups_[s.arg(0)] = convert_group(s, notes_);
        }
        for (const auto& s : top) {
            if (s.keyword == "global_defs") {
                global(s);
            } else if (s.keyword == "vrrp_instance") {
                vrrp_.instance(s);
            } else if (s.keyword == "vrrp_sync_group") {
                vrrp_.sync_group(s);
            } else if (s.keyword == "virtual_server") {
                services_ += convert_virtual_server(s, track_files_, groups_, notes_);
            } else if (s.keyword != "vrrp_script" && s.keyword != "virtual_server_group" &&
                       !is_track_file(s)) {
                notes_.skip(s, "no directord equivalent");
            }
        }
        std::string out = "# Converted from keepalived.conf by directorctl import-keepalived.\n";
        if (!router_id_.empty()) out += "router_id: " + yaml_string(router_id_) + "\n";
        if (!process_.empty()) out += fmt::format("process: {{ {} }}\n", fmt::join(process_, ", "));
        out += vrrp_.yaml();
        if (!ipvs_.empty()) out += "ipvs:\n" + ipvs_;
        if (!services_.empty()) out += "virtual_servers:\n" + services_;
        return out;
    }

  private:
    void global(const Statement& g) {
        for (const auto& s : g.children) {
            if (s.keyword == "router_id") {
                router_id_ = s.arg(0);
            } else if (s.keyword == "lvs_sync_daemon") {
                sync_daemon(s);
            } else if (s.keyword == "lvs_timeouts") {
                timeouts(s);
            } else if (s.keyword == "vrrp_version") {
                vrrp_.default_version = s.arg(0);
            } else if (s.keyword == "vrrp_priority") {
                // One loop runs VRRP and the checks: its nice value is the VRRP process's.
                process_.push_back("nice: " + yaml_string(s.arg(0)));
            } else if (s.keyword == "script_user") {
                process_.push_back("script_user: " + yaml_string(s.arg(0)));
                if (s.args.size() > 1)
                    notes_.note(s, "programs run with the user's own group, not " + s.arg(1));
            } else if (s.keyword == "enable_script_security") {
                notes_.note(s,
                            "always on: a program someone other than root could replace is "
                            "refused at load");
            } else {
                notes_.skip_setting(s);
            }
        }
    }

    // lvs_sync_daemon INTERFACE VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]
    void sync_daemon(const Statement& s) {
        if (s.args.size() < 2) {
            notes_.skip(s, "needs an interface and a VRRP instance");
            return;
        }
        static const std::map<std::string, std::string> kKeys{{"id", "sync_id"},
                                                              {"maxlen", "max_length"},
                                                              {"port", "port"},
                                                              {"ttl", "ttl"},
                                                              {"group", "group"}};
        std::vector<std::string> keys{"interface: " + yaml_string(s.arg(0)),
                                      "instance: " + yaml_string(s.arg(1))};
        for (std::size_t i = 2; i < s.args.size(); i += 2) {
            auto key = kKeys.find(s.args[i]);
            if (key != kKeys.end() && i + 1 < s.args.size())
                keys.push_back(key->second + ": " + s.args[i + 1]);
            else
                notes_.skip(s, "lvs_sync_daemon " + s.args[i] + ": unknown option");
        }
        ipvs_ += fmt::format("  sync_daemon: {{ {} }}\n", fmt::join(keys, ", "));
    }

    // lvs_timeouts [tcp N] [tcpfin N] [udp N], in seconds
    void timeouts(const Statement& s) {
        static const std::map<std::string, std::string> kKeys{
            {"tcp", "tcp"}, {"tcpfin", "tcp_fin"}, {"udp", "udp"}};
        std::vector<std::string> keys;
        for (std::size_t i = 0; i < s.args.size(); i += 2) {
            auto key = kKeys.find(s.args[i]);
            if (key != kKeys.end() && i + 1 < s.args.size())
                keys.push_back(key->second + ": " + s.args[i + 1] + "s");
            else
                notes_.skip(s, "lvs_timeouts " + s.args[i] + ": unknown option");
        }
        if (!keys.empty()) ipvs_ += fmt::format("  timeouts: {{ {} }}\n", fmt::join(keys, ", "));
    }

    // keepalived 2.2.7's name, and the older one it still reads.
    static bool is_track_file(const Statement& s) {
        return s.keyword == "track_file" || s.keyword == "vrrp_track_file";
    }

    ImportNotes notes_;
    TrackFiles track_files_;
    ServiceGroups groups_;
    VrrpConverter vrrp_{notes_, track_files_};
    std::string router_id_;
    std::vector<std::string> process_;  // "key: value" of the process section
    std::string services_, ipvs_;
};

}  // namespace

std::string ImportNote::to_string() const {
    return fmt::format("{}{}: {}{}", file, line > 0 ? fmt::format(":{}", line) : "",
                       converted ? "note: " : "not converted: ", message);
}

ImportResult import_keepalived(const std::string& path) {
    ImportResult result;
    auto statements = detail::read_statements(path, result.notes);
    if (!statements) {
        result.ok = false;
        return result;
    }
    result.yaml = Converter(result.notes).convert(*statements);
    std::stable_sort(result.notes.begin(), result.notes.end(), [](const auto& a, const auto& b) {
        return std::tie(a.file, a.line) < std::tie(b.file, b.line);
    });
    return result;
}

}  // namespace directord::config
