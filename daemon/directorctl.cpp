// directorctl: the operator's side of directord's control socket, and the tools that need no
// daemon (check).
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "directord/config/keepalived_import.hpp"
#include "directord/config/loader.hpp"
#include "directord/config/model.hpp"
#include "loading.hpp"

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;   // the daemon refused or failed, or cannot be reached
constexpr int kExitInvalid = 2;  // usage error, or an invalid configuration file

const char* kUsage = R"(usage: directorctl [-s SOCKET] COMMAND [ARGUMENTS]
commands:
  status [--json]      VRRP instances (state, effective priority and why), virtual servers
                       and their real servers (health, weight, last check); --json prints
                       the status document (schema: docs/operations.md)
  reload               reload directord's configuration (like SIGHUP); waits for the result
                       and prints every error when the new file is invalid
  check FILE           validate FILE without a daemon, print every error; a cluster file
                       (nodes:): every node, and the rules between them (distinct
                       priorities per VRID, one address owner)
  render --node NAME FILE
                       the configuration node NAME of the cluster file FILE runs, as YAML
  maintenance on|off   create / remove the maintenance down-file: every instance hands over
  garp INSTANCE        send the gratuitous ARPs of a MASTER instance again, now
  drain VS RS          weight 0 for real server RS (ADDRESS:PORT) of virtual server VS:
                       its connections go on, no new ones; still checked
  undrain VS RS        back to the configured weight
  weight VS RS N       weight N (0..65535) until undrained; drain, undrain and weight
                       are kept across reloads and restarts (directord --state-file)
  import-keepalived FILE [PEER_FILE]
                       convert a keepalived.conf (and its includes) to directord YAML on
                       stdout; what is not converted, or changes meaning, is listed on
                       stderr with its file and line. Two files (a pair): one cluster
                       file; what differs between them beyond priority, preempt, interface
                       and unicast addresses is an error (exit 2)
options:
  -s, --socket PATH    directord's control socket (default /run/directord.sock)
  -h, --help           this text (also: directorctl COMMAND --help)
exit codes: 0 done; 1 the daemon refused or failed the command, or cannot be reached;
            2 usage error, or the configuration file is invalid or unreadable (check, render,
            reload, import-keepalived)
)";

// One request, one answer: the control socket's protocol.
std::optional<json> ask(const std::string& socket_path, const json& request, int timeout_seconds,
                        std::string& error) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    timeval timeout{timeout_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) {
        error = "socket path too long";
        return std::nullopt;
    }
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = fmt::format("cannot reach directord on {}: {}", socket_path, std::strerror(errno));
        return std::nullopt;
    }
    auto text = request.dump() + "\n";
    if (send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
        error = fmt::format("sending to {}: {}", socket_path, std::strerror(errno));
        return std::nullopt;
    }
    std::string answer;
    char buffer[65536];
    for (;;) {
        auto n = recv(fd, buffer, sizeof buffer, 0);
        if (n == 0) break;
        if (n < 0) {
            error = errno == EAGAIN ? fmt::format("no answer within {} s", timeout_seconds)
                                    : std::string(std::strerror(errno));
            return std::nullopt;
        }
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    try {
        return json::parse(answer);
    } catch (const json::exception& e) {
        error = std::string("unreadable answer: ") + e.what();
        return std::nullopt;
    }
}

// Columns padded to their widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    for (const auto& row : rows) {
        std::string line = indent;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
        fmt::print("{}\n", line);
    }
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), ::toupper);
    return text;
}

std::string duration(long seconds) {
    if (seconds < 60) return fmt::format("{}s", seconds);
    if (seconds < 3600) return fmt::format("{}m{}s", seconds / 60, seconds % 60);
    if (seconds < 86400) return fmt::format("{}h{}m", seconds / 3600, seconds % 3600 / 60);
    return fmt::format("{}d{}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string text_of(const json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

void print_status(const json& s) {
    const auto& d = s["daemon"];
    fmt::print("directord {}, pid {}, up {}, config {} (router_id {}), reloads {} ({} rejected)\n",
               text_of(d["version"]), text_of(d["pid"]), duration(d["uptime_seconds"].get<long>()),
               text_of(d["config_file"]),
               d["router_id"].get<std::string>().empty() ? "-" : d["router_id"].get<std::string>(),
               text_of(d["reloads"]), text_of(d["reload_failures"]));
    if (!s["maintenance"]["file"].is_null())
        fmt::print("maintenance: {} ({})\n", s["maintenance"]["active"].get<bool>() ? "ON" : "off",
                   text_of(s["maintenance"]["file"]));
    if (!s["instances"].empty()) {
        std::vector<std::vector<std::string>> rows{
            {"INSTANCE", "INTERFACE", "VRID", "STATE", "PRIORITY", "BASE", "WHY"}};
        for (const auto& i : s["instances"]) {
            std::string why;
            for (const auto& r : i["reasons"])
                why += (why.empty() ? "" : "; ") + r.get<std::string>();
            rows.push_back({text_of(i["name"]), text_of(i["interface"]), text_of(i["vrid"]),
                            upper(text_of(i["state"])), text_of(i["priority"]),
                            text_of(i["base_priority"]), why.empty() ? "-" : why});
        }
        fmt::print("\n");
        print_table(rows, "");
    }
    for (const auto& vs : s["virtual_servers"]) {
        fmt::print(
            "\nvirtual server {}: {} {}, quorum {}, {}{}\n", text_of(vs["name"]),
            text_of(vs["service"]), text_of(vs["scheduler"]), text_of(vs["quorum"]),
            vs["in_kernel"].get<bool>() ? "in the kernel" : "not in the kernel",
            vs["sorry_server"].is_null() ? "" : ", sorry server " + text_of(vs["sorry_server"]));
        std::vector<std::vector<std::string>> rows{
            {"REAL SERVER", "HEALTH", "WEIGHT", "IN KERNEL", "ACTIVE", "INACTIVE", "LAST CHECK"}};
        for (const auto& rs : vs["real_servers"]) {
            std::string last = "-";
            if (!rs["check"].is_null()) {
                const auto& c = rs["check"];
                last = c["decided"].get<bool>()
                           ? fmt::format("{} {}: {} ({:.1f} ms)", text_of(c["kind"]),
                                         c["last_ok"].get<bool>() ? "ok" : "failed",
                                         text_of(c["last_reason"]), c["latency_ms"].get<double>())
                           : fmt::format("{}: waiting for the first result", text_of(c["kind"]));
            }
            auto weight = text_of(rs["weight"]);
            if (!rs["operator_weight"].is_null())
                weight =
                    rs["operator_weight"] == 0
                        ? fmt::format("drained ({})", weight)
                        : fmt::format("{} (operator; {})", text_of(rs["operator_weight"]), weight);
            rows.push_back({text_of(rs["address"]), text_of(rs["health"]), weight,
                            rs["kernel_weight"].is_null() ? "-" : text_of(rs["kernel_weight"]),
                            text_of(rs["active_connections"]), text_of(rs["inactive_connections"]),
                            last});
        }
        print_table(rows, "  ");
    }
    const auto& ipvs = s["ipvs"];
    fmt::print("\nipvs: ");
    if (!ipvs["available"].get<bool>())
        fmt::print("not available in this kernel\n");
    else
        fmt::print("{} services, {} destinations; {} changes applied, {} refused; sync daemon {}\n",
                   text_of(ipvs["services"]), text_of(ipvs["destinations"]),
                   text_of(ipvs["changes_applied"]), text_of(ipvs["refusals"]),
                   text_of(ipvs["sync_daemon"]));
}

// A cluster file: every node and the rules between them; one line per node when valid.
int check(const std::string& file) {
    auto result = directord::config::check_file(file);
    for (const auto& e : result.errors) fmt::print(stderr, "{}\n", e.to_string());
    if (!result.errors.empty()) return kExitInvalid;
    if (result.nodes.empty()) result.nodes.push_back("");  // one director's file
    for (const auto& node : result.nodes) {
        auto parsed = directord::daemon::load({file, node});
        if (auto* errors = std::get_if<directord::daemon::Errors>(&parsed)) {
            for (const auto& e : *errors) fmt::print(stderr, "{}\n", e.to_string());
            return kExitInvalid;
        }
        fmt::print("{}{}: OK ({})\n", file, node.empty() ? "" : " node " + node,
                   directord::daemon::summary(std::get<directord::daemon::Loaded>(parsed).config));
    }
    return kExitOk;
}

int render(const std::string& file, const std::string& node) {
    auto rendered = directord::config::render_node(file, node);
    if (auto* errors = std::get_if<std::vector<directord::config::Error>>(&rendered)) {
        for (const auto& e : *errors) fmt::print(stderr, "{}\n", e.to_string());
        return kExitInvalid;
    }
    fmt::print("{}", std::get<std::string>(rendered));
    return kExitOk;
}

// The YAML on stdout; notes, and anything the result still lacks to be valid, on stderr. Two
// files: a pair, converted to one cluster file.
int import_keepalived(const std::vector<std::string>& files) {
    auto result = files.size() == 2 ? directord::config::import_keepalived_pair(files[0], files[1])
                                    : directord::config::import_keepalived(files[0]);
    for (const auto& n : result.notes) fmt::print(stderr, "{}\n", n.to_string());
    if (!result.ok) return kExitInvalid;
    fmt::print("{}", result.yaml);
    if (result.nodes.empty()) result.nodes.push_back("");  // one director's file
    std::set<std::string> told;  // a shared mistake once, not once per node
    for (const auto& node : result.nodes) {
        auto check = directord::config::load_text(result.yaml, "(converted)", node);
        if (auto* errors = std::get_if<std::vector<directord::config::Error>>(&check))
            for (const auto& e : *errors)
                if (told.insert(e.to_string()).second)
                    fmt::print(stderr, "to fix before use: {}\n", e.to_string());
    }
    return kExitOk;
}

int usage(const char* message) {
    if (message) fmt::print(stderr, "directorctl: {}\n", message);
    std::fputs(kUsage, stderr);
    return kExitInvalid;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket_path = directord::config::Control{}.socket;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-s" || arg == "--socket") {
            if (++i >= argc) return usage("--socket needs a path");
            socket_path = argv[i];
        } else if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return kExitOk;
        } else {
            words.push_back(arg);
        }
    }
    if (words.empty()) return usage(nullptr);
    const std::string command = words[0];
    std::vector<std::string> args(words.begin() + 1, words.end());

    json request;
    int timeout = 10;
    bool as_json = false;
    if (command == "status") {
        if (args.size() > 1 || (args.size() == 1 && args[0] != "--json"))
            return usage("status takes only --json");
        as_json = !args.empty();
        request = {{"command", "status"}};
    } else if (command == "reload") {
        if (!args.empty()) return usage("reload takes no argument");
        request = {{"command", "reload"}};
        timeout = 600;  // tens of thousands of real servers take a while to parse
    } else if (command == "check") {
        if (args.size() != 1) return usage("check needs one FILE");
        return check(args[0]);
    } else if (command == "render") {
        if (args.size() != 3 || args[0] != "--node") return usage("render needs --node NAME FILE");
        return render(args[2], args[1]);
    } else if (command == "import-keepalived") {
        if (args.empty() || args.size() > 2)
            return usage("import-keepalived needs one FILE, or the two FILEs of a pair");
        return import_keepalived(args);
    } else if (command == "maintenance") {
        if (args.size() != 1 || (args[0] != "on" && args[0] != "off"))
            return usage("maintenance needs on or off");
        request = {{"command", "maintenance"}, {"arguments", {{"on", args[0] == "on"}}}};
    } else if (command == "drain" || command == "undrain") {
        if (args.size() != 2) return usage((command + " needs VS RS").c_str());
        request = {{"command", command},
                   {"arguments", {{"virtual_server", args[0]}, {"real_server", args[1]}}}};
    } else if (command == "weight") {
        unsigned long weight = 0;
        std::size_t used = 0;
        try {
            weight = args.size() == 3 ? std::stoul(args[2], &used) : 0;
        } catch (const std::exception&) {
            used = 0;
        }
        if (args.size() != 3 || used != args[2].size() || weight > 65535)
            return usage("weight needs VS RS N (0..65535)");
        request = {{"command", "weight"},
                   {"arguments",
                    {{"virtual_server", args[0]}, {"real_server", args[1]}, {"weight", weight}}}};
    } else if (command == "garp") {
        if (args.size() != 1) return usage("garp needs one INSTANCE");
        request = {{"command", "garp"}, {"arguments", {{"instance", args[0]}}}};
    } else {
        return usage(fmt::format("unknown command '{}'", command).c_str());
    }

    std::string error;
    auto answer = ask(socket_path, request, timeout, error);
    if (!answer) {
        fmt::print(stderr, "directorctl: {}\n", error);
        return kExitFailed;
    }
    int result = answer->value("result", 1);
    if (command == "status" && result == 0) {
        if (as_json)
            fmt::print("{}\n", (*answer)["arguments"].dump(2));
        else
            print_status((*answer)["arguments"]);
        return kExitOk;
    }
    auto text = answer->value("text", std::string());
    fmt::print(result == 0 ? stdout : stderr, "{}\n", text);
    if (answer->contains("arguments") && (*answer)["arguments"].contains("errors")) {
        for (const auto& e : (*answer)["arguments"]["errors"])
            fmt::print(stderr, "{}\n", e.get<std::string>());
        return kExitInvalid;
    }
    return result == 0 ? kExitOk : kExitFailed;
}
