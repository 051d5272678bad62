// directorctl: the operator's side of directord's control socket, and the tools that need no
// daemon (check).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "control_client.hpp"
#include "directord/config/keepalived_import.hpp"
#include "directord/config/loader.hpp"
#include "directord/config/model.hpp"
#include "loading.hpp"
#include "status_table.hpp"

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;   // the daemon refused or failed, or cannot be reached
constexpr int kExitInvalid = 2;  // usage error, or an invalid configuration file

const char* kUsage = R"(usage: directorctl [-s SOCKET] COMMAND [ARGUMENTS]
commands:
  status [--json|--watch]
                       VRRP instances (state, effective priority and why), virtual servers
                       and their real servers (health, weight, last check); --json prints
                       the status document (schema: docs/operations.md); --watch prints
                       the table again after every burst of events
  events               every state change as one JSON line as it happens (instances, real
                       servers, quorum, IPVS changes, reloads, drains, maintenance)
  reload [--check]     reload directord's configuration (like SIGHUP); waits for the result
                       and prints what changed, or every error when the new file is
                       invalid; --check prints what a reload would change, applies nothing
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

using directord::daemon::ControlClient;

std::optional<json> ask(const std::string& socket_path, const json& request, int timeout_seconds,
                        std::string& error) {
    ControlClient client(socket_path, request, timeout_seconds);
    auto answer = client.answer();
    if (!answer) error = client.error();
    return answer;
}

// The event stream's first line is the usual answer: true when it says the events follow.
bool events_follow(ControlClient& client) {
    auto first = client.line(std::chrono::seconds(10));
    if (!first || first->empty()) {
        fmt::print(stderr, "directorctl: {}\n",
                   client.error().empty() ? "no answer within 10 s" : client.error());
        return false;
    }
    auto answer = json::parse(*first, nullptr, false);
    if (answer.is_discarded() || answer.value("result", 1) != 0) {
        fmt::print(stderr, "directorctl: {}\n",
                   answer.is_discarded() ? *first : answer.value("text", *first));
        return false;
    }
    return true;
}

int stream_ended(const ControlClient& client) {
    fmt::print(stderr, "directorctl: {}\n",
               client.error().empty() ? "directord closed the event stream" : client.error());
    return kExitFailed;
}

// Every event as one JSON line, flushed as it comes, until the daemon ends the stream.
int follow_events(const std::string& socket_path) {
    ControlClient client(socket_path, {{"command", "events"}}, 10);
    if (!events_follow(client)) return kExitFailed;
    while (auto line = client.line(std::chrono::milliseconds(-1))) {
        fmt::print("{}\n", *line);
        std::fflush(stdout);
    }
    return stream_ended(client);
}

// The status table again after every burst of events (those within 200 ms of each other).
int watch_status(const std::string& socket_path) {
    ControlClient events(socket_path, {{"command", "events"}}, 10);
    if (!events_follow(events)) return kExitFailed;
    std::string last = "start";
    for (;;) {
        std::string error;
        auto status = ask(socket_path, {{"command", "status"}}, 10, error);
        if (!status) {
            fmt::print(stderr, "directorctl: {}\n", error);
            return kExitFailed;
        }
        fmt::print("\n--- after: {}\n", last);
        directord::daemon::print_status((*status)["arguments"]);
        std::fflush(stdout);
        auto line = events.line(std::chrono::milliseconds(-1));
        while (line && !line->empty()) {
            last = *line;
            line = events.line(std::chrono::milliseconds(200));
        }
        if (!line) return stream_ended(events);
    }
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
        if (args.size() == 1 && args[0] == "--watch") return watch_status(socket_path);
        if (args.size() > 1 || (args.size() == 1 && args[0] != "--json"))
            return usage("status takes --json or --watch");
        as_json = !args.empty();
        request = {{"command", "status"}};
    } else if (command == "events") {
        if (!args.empty()) return usage("events takes no argument");
        return follow_events(socket_path);
    } else if (command == "reload") {
        if (args.size() > 1 || (args.size() == 1 && args[0] != "--check"))
            return usage("reload takes only --check");
        request = {{"command", "reload"}, {"arguments", {{"check", !args.empty()}}}};
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
            directord::daemon::print_status((*answer)["arguments"]);
        return kExitOk;
    }
    auto text = answer->value("text", std::string());
    fmt::print(result == 0 ? stdout : stderr, "{}\n", text);
    if (answer->contains("arguments") && (*answer)["arguments"].contains("changes"))
        for (const auto& line : (*answer)["arguments"]["changes"])
            fmt::print("  {}\n", line.get<std::string>());
    if (answer->contains("arguments") && (*answer)["arguments"].contains("errors")) {
        for (const auto& e : (*answer)["arguments"]["errors"])
            fmt::print(stderr, "{}\n", e.get<std::string>());
        return kExitInvalid;
    }
    return result == 0 ? kExitOk : kExitFailed;
}
