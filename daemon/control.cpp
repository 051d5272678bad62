#include "control.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "directord/log.hpp"
#include "directord/text.hpp"

namespace directord::daemon {
namespace {

using nlohmann::json;
using Stream = boost::asio::local::stream_protocol;

std::string answer(int result, const std::string& text, json arguments = nullptr) {
    json reply = {{"result", result}, {"text", text}};
    if (!arguments.is_null()) reply["arguments"] = std::move(arguments);
    // Replace, never throw: a request's own bytes may be quoted back in `text`.
    return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// A request that cannot be served: told to the client, logged once, counted.
struct Rejected : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const json& argument(const json& arguments, const char* name, json::value_t type,
                     const char* usage) {
    auto it = arguments.find(name);
    if (it == arguments.end() || it->type() != type) throw Rejected(usage);
    return *it;
}

// A socket file that no daemon answers on is a leftover of one that died.
void remove_stale(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error("control socket " + path + " exists and is not a socket");
    boost::asio::io_context io;
    Stream::socket probe(io);
    boost::system::error_code ec;
    probe.connect(Stream::endpoint(path), ec);
    if (!ec) throw std::runtime_error("another directord answers on " + path);
    unlink(path.c_str());
}

}  // namespace

ControlSocket::ControlSocket(boost::asio::io_context& io, const std::string& path,
                             vrrp::Engine& engine, Renderer& renderer, unsigned long& rejected,
                             Reload reload)
    : path_(path),
      engine_(engine),
      renderer_(renderer),
      rejected_(rejected),
      reload_(std::move(reload)) {
    remove_stale(path);
    // Created 0600: only root may steer the daemon or read its status.
    mode_t old = umask(0177);
    try {
        server_ = std::make_unique<RequestServer<Stream>>(
            io, Stream::endpoint(path), "\n",
            [this](std::string request, Respond respond) { handle(request, std::move(respond)); });
    } catch (const boost::system::system_error& e) {
        umask(old);
        throw std::runtime_error("control socket " + path + ": " + e.code().message());
    }
    umask(old);
    log::info("control: listening on {}", path);
}

ControlSocket::~ControlSocket() {
    server_.reset();
    unlink(path_.c_str());
}

void ControlSocket::handle(const std::string& request, Respond respond) {
    try {
        serve(request, respond);
    } catch (const Rejected& e) {
        reject(e.what(), respond);
    } catch (const std::exception& e) {
        reject(fmt::format("internal error: {}", e.what()), respond);
    }
}

void ControlSocket::reject(const std::string& why, const Respond& respond) {
    ++rejected_;
    auto text = text::printable(why);
    log::warning("control: request rejected: {}", text);
    respond(answer(1, text));
}

void ControlSocket::serve(const std::string& request, const Respond& respond) {
    json command;
    try {
        command = json::parse(request);
    } catch (const json::exception& e) {
        throw Rejected(std::string("not a JSON request: ") + e.what());
    }
    if (!command.is_object() || !command.contains("command") || !command["command"].is_string())
        throw Rejected("a request is {\"command\": NAME, \"arguments\": {...}}");
    auto name = command["command"].get<std::string>();
    json arguments = command.value("arguments", json::object());
    if (!arguments.is_object()) throw Rejected("\"arguments\" must be an object");

    if (name == "status") {
        renderer_.request(Renderer::Kind::status,
                          [respond](std::shared_ptr<const std::string> document) {
                              // The document is shared by every client asking: written, never
                              // copied.
                              respond(Response(R"({"arguments":)", std::move(document),
                                               R"(,"result":0,"text":"status"})"
                                               "\n"));
                          });
    } else if (name == "reload") {
        log::info("control: reload requested");
        reload_([respond](const Errors& errors) {
            if (errors.empty()) {
                respond(answer(0, "reload done"));
                return;
            }
            json lines = json::array();
            for (const auto& e : errors) lines.push_back(e.to_string());
            respond(
                answer(1, "reload rejected: the running configuration stays", {{"errors", lines}}));
        });
    } else if (name == "maintenance") {
        const auto& file = engine_.maintenance_file();
        if (!file) {
            respond(answer(1, "no maintenance_file is configured"));
            return;
        }
        bool on = argument(arguments, "on", json::value_t::boolean,
                           "maintenance needs {\"on\": true|false}")
                      .get<bool>();
        int rc =
            on ? open(file->c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644) : unlink(file->c_str());
        if (on && rc >= 0) close(rc);
        if (rc < 0 && !(errno == ENOENT && !on)) {
            respond(answer(1, fmt::format("{}: {}", *file, std::strerror(errno))));
            return;
        }
        log::info("control: maintenance {} ({} {})", on ? "on" : "off", *file,
                  on ? "created" : "removed");
        respond(answer(0, fmt::format("maintenance {}: {} {}", on ? "on" : "off", *file,
                                      on ? "created" : "removed")));
    } else if (name == "garp") {
        auto instance_name = argument(arguments, "instance", json::value_t::string,
                                      "garp needs {\"instance\": NAME}")
                                 .get<std::string>();
        auto* instance = engine_.find(instance_name);
        if (!instance) {
            respond(answer(1, fmt::format("no VRRP instance named '{}'", instance_name)));
        } else if (!instance->announce()) {
            respond(answer(1, fmt::format("{} is {}, not MASTER: it owns no VIP to announce",
                                          instance_name, to_string(instance->state()))));
        } else {
            respond(answer(0, fmt::format("{}: gratuitous ARPs sent", instance_name)));
        }
    } else {
        throw Rejected(fmt::format("unknown command '{}'", name));
    }
}

}  // namespace directord::daemon
