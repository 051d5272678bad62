#pragma once
// A small request/response server on the event loop, for the control socket (unix, one JSON
// line) and the metrics endpoint (TCP, one HTTP request): accept, read one request up to its
// delimiter (bounded in size and time), hand it to the handler, write what it answers, close.
// The handler may answer later (a reload answers once applied). At most kMaxSending clients
// still sending their request are held at once: past that, the oldest of them is dropped once
// it has had kSendGrace (a real client sends at once), and until then nobody else is accepted
// (they wait in the listen backlog, not dropped: a thousand scrapers arriving together are all
// answered). A client slow to send or to read is dropped after kTimeout. So idle or slowloris
// clients can neither take the descriptors the health checks need nor keep a real client out
// for long.
#include <sys/socket.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "directord/log.hpp"

namespace directord::daemon {

// An answer: its text, or a large shared body (a status document, an exposition) between a
// head and a tail, written without a copy per client.
struct Response {
    Response(std::string text) : head(std::move(text)) {}  // NOLINT: implicit on purpose
    Response(std::string head, std::shared_ptr<const std::string> body, std::string tail)
        : head(std::move(head)), body(std::move(body)), tail(std::move(tail)) {}
    std::string head;
    std::shared_ptr<const std::string> body;
    std::string tail;
};

// A client kept open for lines written as things happen (the event stream).
class LineSink {
  public:
    virtual ~LineSink() = default;
    // Queues `line`; false when the client is gone: it closed, or it fell more than
    // kMaxBehind bytes behind or left a write unread for kTimeout, and was dropped.
    virtual bool write(std::string line) = 0;
    virtual bool gone() const = 0;
    static constexpr std::size_t kMaxBehind = 1 << 20;
};

// Who is on the other end, for the log lines of what they asked: a local client by its
// credentials ("uid 0 pid 4242 directorctl"), a TCP one by its address.
inline std::string peer_of(boost::asio::local::stream_protocol::socket& socket) {
    ucred cred{};
    socklen_t length = sizeof cred;
    if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0)
        return "an unknown local client";
    std::string command;
    std::getline(std::ifstream("/proc/" + std::to_string(cred.pid) + "/comm"), command);
    return "uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid) +
           (command.empty() ? "" : " " + command);
}
inline std::string peer_of(boost::asio::ip::tcp::socket& socket) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return "an unknown client";
    return remote.address().to_string() + " port " + std::to_string(remote.port());
}

template <typename Protocol>
class RequestServer {
  public:
    using Respond = std::function<void(Response response)>;
    // Instead of answering: keeps the client open for lines, `first` written at once.
    using OpenStream = std::function<std::shared_ptr<LineSink>(std::string first)>;
    // The request (up to its delimiter) and who sent it (peer_of).
    using Handler = std::function<void(std::string request, std::string peer, Respond respond,
                                       OpenStream open_stream)>;
    static constexpr std::size_t kMaxRequest = 64 * 1024;
    static constexpr auto kTimeout = std::chrono::seconds(10);
    static constexpr std::size_t kMaxSending = 16;
    static constexpr auto kSendGrace = std::chrono::milliseconds(20);
    // Clients held in all, most waiting for their answer: past that, accepting waits.
    static constexpr std::size_t kMaxOpen = 1024;

    RequestServer(boost::asio::io_context& io, const typename Protocol::endpoint& endpoint,
                  std::string delimiter, Handler handler)
        : io_(io),
          acceptor_(io, endpoint),
          delimiter_(std::move(delimiter)),
          handler_(std::move(handler)),
          sessions_(std::make_shared<Sessions>()) {
        sessions_->room_made = [this] { accept(); };
        accept();
    }
    ~RequestServer() { sessions_->room_made = nullptr; }
    RequestServer(const RequestServer&) = delete;
    RequestServer& operator=(const RequestServer&) = delete;

  private:
    class Session;
    // Shared with the sessions, which may outlive the server (their handlers die with the loop).
    struct Sessions {
        std::size_t open = 0;
        std::deque<std::weak_ptr<Session>> sending;  // oldest first
        std::function<void()> room_made;             // the server's, while it lives
    };

    class Session : public std::enable_shared_from_this<Session>, public LineSink {
      public:
        Session(RequestServer& server, typename Protocol::socket socket)
            : server_(server),
              sessions_(server.sessions_),
              socket_(std::move(socket)),
              buffer_(kMaxRequest),
              timer_(server.io_) {
            ++sessions_->open;
        }
        ~Session() {
            --sessions_->open;
            if (sessions_->room_made) sessions_->room_made();
        }
        bool sending() const { return reading_ && !dropped_; }
        std::chrono::steady_clock::time_point since() const { return since_; }
        void drop() {
            dropped_ = true;
            boost::system::error_code ignored;
            socket_.close(ignored);
        }
        Session(const Session&) = delete;
        Session& operator=(const Session&) = delete;
        void start() {
            auto self = this->shared_from_this();
            timer_.expires_after(kTimeout);
            timer_.async_wait([self](const boost::system::error_code& ec) {
                if (!ec) self->socket_.close();  // a silent or slow client is dropped
            });
            boost::asio::async_read_until(
                socket_, buffer_, server_.delimiter_,
                [self](const boost::system::error_code& ec, std::size_t length) {
                    self->timer_.cancel();  // the answer may take its time (a reload)
                    self->reading_ = false;
                    if (self->sessions_->room_made) self->sessions_->room_made();
                    if (ec) return;
                    std::string request(boost::asio::buffers_begin(self->buffer_.data()),
                                        boost::asio::buffers_begin(self->buffer_.data()) +
                                            static_cast<std::ptrdiff_t>(length));
                    self->server_.handler_(
                        std::move(request), peer_of(self->socket_),
                        [self](Response response) { self->respond(std::move(response)); },
                        [self](std::string first) { return self->stream(std::move(first)); });
                });
        }

        bool gone() const override { return closed_; }
        bool write(std::string line) override {
            if (closed_) return false;
            if (behind_ + line.size() > kMaxBehind) {
                log::warning("control: a client of the event stream fell {} bytes behind: dropped",
                             behind_);
                close();
                return false;
            }
            behind_ += line.size();
            lines_.push_back(std::move(line));
            if (lines_.size() == 1) write_next();
            return true;
        }

      private:
        std::shared_ptr<LineSink> stream(std::string first) {
            // The client only listens from here: its end closing (or anything it sends) ends
            // the stream.
            auto self = this->shared_from_this();
            socket_.async_read_some(
                boost::asio::buffer(ignored_),
                [self](const boost::system::error_code&, std::size_t) { self->close(); });
            write(std::move(first));
            return self;
        }
        void write_next() {
            auto self = this->shared_from_this();
            timer_.expires_after(kTimeout);
            timer_.async_wait([self](const boost::system::error_code& ec) {
                if (!ec) self->close();  // a client that does not read its lines
            });
            boost::asio::async_write(socket_, boost::asio::buffer(lines_.front()),
                                     [self](const boost::system::error_code& ec, std::size_t) {
                                         self->timer_.cancel();
                                         if (ec || self->closed_) return self->close();
                                         self->behind_ -= self->lines_.front().size();
                                         self->lines_.pop_front();
                                         if (!self->lines_.empty()) self->write_next();
                                     });
        }
        void close() {
            if (std::exchange(closed_, true)) return;
            boost::system::error_code ignored;
            socket_.close(ignored);
        }

        void respond(Response response) {
            response_ = std::move(response);
            auto self = this->shared_from_this();
            timer_.expires_after(kTimeout);
            timer_.async_wait([self](const boost::system::error_code& ec) {
                if (!ec) self->socket_.close();  // a client that does not read its answer
            });
            std::array<boost::asio::const_buffer, 3> buffers{
                boost::asio::buffer(response_.head),
                response_.body ? boost::asio::buffer(*response_.body) : boost::asio::const_buffer(),
                boost::asio::buffer(response_.tail)};
            boost::asio::async_write(
                socket_, buffers, [self](const boost::system::error_code&, std::size_t) {
                    self->timer_.cancel();
                    boost::system::error_code ignored;
                    self->socket_.shutdown(Protocol::socket::shutdown_both, ignored);
                    self->socket_.close(ignored);
                });
        }

        RequestServer& server_;
        std::shared_ptr<Sessions> sessions_;
        typename Protocol::socket socket_;
        boost::asio::streambuf buffer_;
        boost::asio::steady_timer timer_;
        Response response_{std::string()};
        std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
        bool reading_ = true;
        bool dropped_ = false;
        // A stream's lines not yet written (the first one being written), and their size.
        std::deque<std::string> lines_;
        std::size_t behind_ = 0;
        bool closed_ = false;
        std::array<char, 256> ignored_{};
    };

    // Whether one more client may be taken now. Over the limit of clients sending, the oldest
    // one that has had its grace is dropped; if none has, accepting waits for that moment or
    // for room (a client done sending, or gone, calls accept()).
    bool room() {
        auto& sending = sessions_->sending;
        std::erase_if(sending, [](const auto& s) {
            auto session = s.lock();
            return !session || !session->sending();
        });
        if (sessions_->open >= kMaxOpen) return false;
        while (sending.size() >= kMaxSending) {
            auto oldest = sending.front().lock();
            auto due = oldest->since() + kSendGrace;
            if (std::chrono::steady_clock::now() < due) {
                retry_.expires_at(due);
                retry_.async_wait([this](const boost::system::error_code& ec) {
                    if (!ec) accept();
                });
                return false;
            }
            oldest->drop();
            sending.pop_front();
        }
        return true;
    }

    void accept() {
        if (accepting_ || !room()) return;
        accepting_ = true;
        acceptor_.async_accept(
            [this](const boost::system::error_code& ec, typename Protocol::socket socket) {
                accepting_ = false;
                if (ec == boost::asio::error::operation_aborted) return;
                if (!ec) {
                    auto session = std::make_shared<Session>(*this, std::move(socket));
                    sessions_->sending.push_back(session);
                    session->start();
                    accept();
                    return;
                }
                // Out of descriptors, say: try again shortly rather than spin.
                log::warning("control: accept failed: {}", ec.message());
                retry_.expires_after(std::chrono::milliseconds(100));
                retry_.async_wait([this](const boost::system::error_code& e) {
                    if (!e) accept();
                });
            });
    }

    boost::asio::io_context& io_;
    typename Protocol::acceptor acceptor_;
    boost::asio::steady_timer retry_{io_};
    std::string delimiter_;
    Handler handler_;
    std::shared_ptr<Sessions> sessions_;
    bool accepting_ = false;
};

}  // namespace directord::daemon
