// The event stream's clients: a client that does not read is dropped once it falls behind,
// one that goes away is let go; neither holds memory or the loop.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "events.hpp"
#include "request_server.hpp"

using namespace directord::daemon;
using Stream = boost::asio::local::stream_protocol;

namespace {

struct EventStreamClients : ::testing::Test {
    boost::asio::io_context io;
    std::string path = "/tmp/event-stream-" + std::to_string(getpid()) + ".sock";
    std::shared_ptr<LineSink> sink;
    std::unique_ptr<RequestServer<Stream>> server;
    Stream::socket client{io};

    void SetUp() override {
        unlink(path.c_str());
        server = std::make_unique<RequestServer<Stream>>(
            io, Stream::endpoint(path), "\n",
            [this](std::string, std::string, auto, auto open_stream) {
                sink = open_stream("first\n");
            });
        client.connect(Stream::endpoint(path));
        boost::asio::write(client, boost::asio::buffer(std::string("{}\n")));
        for (int i = 0; i < 100 && !sink; ++i) io.run_for(std::chrono::milliseconds(10));
        ASSERT_TRUE(sink);
    }
    void TearDown() override { unlink(path.c_str()); }
};

}  // namespace

TEST_F(EventStreamClients, AClientThatDoesNotReadIsDroppedOnceItFallsBehind) {
    std::string line(1000, 'x');
    line += '\n';
    std::size_t written = 0;
    while (sink->write(line)) {
        written += line.size();
        io.poll();
        ASSERT_LT(written, 8u * LineSink::kMaxBehind) << "never dropped";
    }
    EXPECT_TRUE(sink->gone());
    EXPECT_GT(written, LineSink::kMaxBehind);  // what the socket took, and the limit
}

TEST_F(EventStreamClients, AClientThatGoesAwayIsLetGo) {
    EventStream events;
    events.add(sink);
    EXPECT_TRUE(events.listening());
    client.close();
    for (int i = 0; i < 100 && !sink->gone(); ++i) io.run_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(sink->gone());
    events.publish({{"type", "test"}});
    EXPECT_FALSE(events.listening());
}

TEST_F(EventStreamClients, EventsAreLinesOfJsonWithATime) {
    EventStream events;
    events.add(sink);
    events.publish({{"type", "test"}, {"reason", std::string("bad \xff byte")}});
    std::string received;
    char buffer[4096];
    for (int i = 0; i < 1000 && std::count(received.begin(), received.end(), '\n') < 2; ++i) {
        io.poll();
        auto n = ::recv(client.native_handle(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
        if (n <= 0) io.run_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(std::count(received.begin(), received.end(), '\n'), 2) << received;
    auto second = received.substr(received.find('\n') + 1);
    auto event = nlohmann::json::parse(second);
    EXPECT_EQ(event["type"], "test");
    EXPECT_EQ(event["reason"], "bad \xef\xbf\xbd byte");  // replaced, never thrown
    EXPECT_TRUE(event["time"].get<std::string>().ends_with("Z"));
}
