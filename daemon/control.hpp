#pragma once
// The control socket `directorctl` speaks to: a unix stream socket (mode 0600), one JSON
// request per connection, `{"command": "...", "arguments": {...}}` and a newline, answered
// with `{"result": 0|1, "text": "...", "arguments": {...}}` and a newline (result 0 = done).
// Commands are registered in a table (commands.hpp holds directord's); a request names one.
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "request_server.hpp"

namespace directord::daemon {

using Respond = RequestServer<boost::asio::local::stream_protocol>::Respond;
using OpenStream = RequestServer<boost::asio::local::stream_protocol>::OpenStream;

// One request as a command sees it.
struct ControlRequest {
    const nlohmann::json& arguments;  // an object
    const std::string& peer;          // who asked, for the log line of what they changed
    const OpenStream& open_stream;    // instead of answering: lines as things happen
};
// Answers through `respond`, now or later (a reload answers once applied); throws Rejected
// for a request it cannot serve.
using Command = std::function<void(const ControlRequest& request, const Respond& respond)>;

// A request that cannot be served: told to the client, logged once, counted.
struct Rejected : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The answer line: result 0 (done) or 1 (refused or failed), a text, optional arguments.
std::string answer(int result, const std::string& text,
                   nlohmann::json arguments = nlohmann::json());
// The argument `name` of that JSON type, or Rejected(usage).
const nlohmann::json& argument(const nlohmann::json& arguments, const char* name,
                               nlohmann::json::value_t type, const char* usage);

class ControlSocket {
  public:
    // Binds `path` (a stale socket left by a dead daemon is replaced; a live one is an error:
    // throws std::runtime_error). Requests that cannot be served are answered, logged and
    // counted in `rejected`; no request can end the process.
    ControlSocket(boost::asio::io_context& io, const std::string& path, unsigned long& rejected);
    ~ControlSocket();
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    void add(const std::string& name, Command command) { commands_[name] = std::move(command); }
    const std::string& path() const { return path_; }

  private:
    // The request's text, who sent it, and the two ways to answer.
    struct Incoming {
        const std::string& text;
        const std::string& peer;
        const Respond& respond;
        const OpenStream& open_stream;
    };
    void handle(const Incoming& incoming);
    void serve(const Incoming& incoming);
    void reject(const std::string& why, const Respond& respond);

    std::string path_;
    unsigned long& rejected_;
    std::map<std::string, Command> commands_;
    std::unique_ptr<RequestServer<boost::asio::local::stream_protocol>> server_;
};

}  // namespace directord::daemon
