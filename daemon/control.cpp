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

using nlohmann::json;

std::string answer(int result, const std::string& text, json arguments) {
    json reply = {{"result", result}, {"text", text}};
    if (!arguments.is_null()) reply["arguments"] = std::move(arguments);
    // Replace, never throw: a request's own bytes may be quoted back in `text`.
    return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

const json& argument(const json& arguments, const char* name, json::value_t type,
                     const char* usage) {
    auto it = arguments.find(name);
    if (it == arguments.end() || it->type() != type) throw Rejected(usage);
    return *it;
}

namespace {

using Stream = boost::asio::local::stream_protocol;

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
                             unsigned long& rejected)
    : path_(path), rejected_(rejected) {
    remove_stale(path);
    // Created 0600: only root may steer the daemon or read its status.
    mode_t old = umask(0177);
    try {
        server_ = std::make_unique<RequestServer<Stream>>(
            io, Stream::endpoint(path), "\n",
            [this](std::string request, std::string peer, Respond respond, OpenStream stream) {
                handle({request, peer, respond, stream});
            });
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

void ControlSocket::handle(const Incoming& incoming) {
    try {
        serve(incoming);
    } catch (const Rejected& e) {
        reject(e.what(), incoming.respond);
    } catch (const std::exception& e) {
        reject(fmt::format("internal error: {}", e.what()), incoming.respond);
    }
}

void ControlSocket::reject(const std::string& why, const Respond& respond) {
    ++rejected_;
    auto text = text::printable(why);
    log::warning("control: request rejected: {}", text);
    respond(answer(1, text));
}

void ControlSocket::serve(const Incoming& incoming) {
    json command;
    try {
        command = json::parse(incoming.text);
    } catch (const json::exception& e) {
        throw Rejected(std::string("not a JSON request: ") + e.what());
    }
    if (!command.is_object() || !command.contains("command") || !command["command"].is_string())
        throw Rejected("a request is {\"command\": NAME, \"arguments\": {...}}");
    auto name = command["command"].get<std::string>();
    json arguments = command.value("arguments", json::object());
    if (!arguments.is_object()) throw Rejected("\"arguments\" must be an object");
    auto found = commands_.find(name);
    if (found == commands_.end()) throw Rejected(fmt::format("unknown command '{}'", name));
    found->second(ControlRequest{arguments, incoming.peer, incoming.open_stream}, incoming.respond);
}

}  // namespace directord::daemon
