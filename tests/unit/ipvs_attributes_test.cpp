// The kernel's IPVS answers are read only after every attribute passed its policy: strings
// without their NUL, short integers or addresses are refused, never read past. What the client
// writes is read back the same way.
#include <gtest/gtest.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include <functional>

#include "attributes.hpp"
#include "netlink.hpp"

using namespace directord::ipvs;

namespace {

// The first attribute of a message built by `fill` (a nest, as in a dump's answer).
struct Built {
    std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg{nlmsg_alloc(), nlmsg_free};
    explicit Built(const std::function<void(nl_msg*)>& fill) { fill(msg.get()); }
    nlattr* first() { return nlmsg_attrdata(nlmsg_hdr(msg.get()), 0); }
};

void service_nest(nl_msg* m, const std::function<void(nl_msg*)>& inside) {
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    inside(m);
    nla_nest_end(m, nest);
}

void good_service(nl_msg* m) {
    nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET);
    nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
    unsigned char address[16] = {10, 0, 0, 1};
    nla_put(m, IPVS_SVC_ATTR_ADDR, sizeof address, address);
    nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(80));
    nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, "wlc");
}

}  // namespace

TEST(IpvsAttributes, AWellFormedServiceIsRead) {
    Built b([](nl_msg* m) { service_nest(m, good_service); });
    auto s = wire::parse_service(b.first());
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(describe(s->key), "TCP 10.0.0.1:80");
    EXPECT_EQ(s->scheduler, "wlc");
}

TEST(IpvsAttributes, MalformedAttributesAreRefused) {
    // A scheduler name without its NUL: once read with strlen, past the attribute.
    Built unterminated([](nl_msg* m) {
        service_nest(m, [](nl_msg* n) {
            good_service(n);
            nla_put(n, IPVS_SVC_ATTR_PE_NAME, 3, "sip");
        });
    });
    EXPECT_FALSE(wire::parse_service(unterminated.first()).has_value());

    Built short_integer([](nl_msg* m) {
        service_nest(m, [](nl_msg* n) {
            good_service(n);
            unsigned char one = 80;
            nla_put(n, IPVS_SVC_ATTR_TIMEOUT, 1, &one);
        });
    });
    EXPECT_FALSE(wire::parse_service(short_integer.first()).has_value());

    Built short_v6([](nl_msg* m) {
        nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
        nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET6);
        unsigned char address[4] = {10, 0, 0, 2};
        nla_put(m, IPVS_DEST_ATTR_ADDR, sizeof address, address);
        nla_nest_end(m, nest);
    });
    EXPECT_FALSE(wire::parse_destination(short_v6.first(), AF_INET6).has_value());

    Built long_interface([](nl_msg* m) {
        nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
        nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, 1);
        nla_put_string(m, IPVS_DAEMON_ATTR_MCAST_IFN, "an-interface-name-far-too-long");
        nla_nest_end(m, nest);
    });
    EXPECT_FALSE(wire::parse_daemon(long_interface.first()).has_value());
    EXPECT_FALSE(wire::parse_service(nullptr).has_value());
}

// Requests are written straight into one buffer (a batch): each is read back whole, with its
// own header, in order.
TEST(IpvsRequest, RequestsWrittenIntoOneBufferAreReadBack) {
    std::unique_ptr<nl_sock, void (*)(nl_sock*)> socket(nl_socket_alloc(), nl_socket_free);
    Service s;
    s.key = ServiceKey{AF_INET6, IPPROTO_UDP, boost::asio::ip::make_address("fd00::1"), 5060, 0};
    s.scheduler = "sh";
    s.flags = kPersistent;
    s.timeout = 300;
    s.netmask = 64;
    s.persistence_engine = "sip";

    wire::Request first(socket.get(), 42, IPVS_CMD_NEW_SERVICE, NLM_F_ACK, 7);
    wire::put_service(first, s, true);
    wire::Request second(socket.get(), 42, IPVS_CMD_DEL_SERVICE, 0, 8, std::move(first).take());
    wire::put_service(second, s, false);
    auto bytes = std::move(second).take();

    auto* one = reinterpret_cast<nlmsghdr*>(bytes.data());
    int left = static_cast<int>(bytes.size());
    ASSERT_TRUE(nlmsg_ok(one, left));
    EXPECT_EQ(one->nlmsg_type, 42);
    EXPECT_EQ(one->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
    EXPECT_EQ(one->nlmsg_seq, 7u);
    EXPECT_EQ(static_cast<genlmsghdr*>(nlmsg_data(one))->cmd, IPVS_CMD_NEW_SERVICE);
    auto attributes = wire::top_level(one);
    ASSERT_TRUE(attributes.has_value());
    auto read = wire::parse_service((*attributes)[IPVS_CMD_ATTR_SERVICE]);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(describe(read->key), describe(s.key));
    EXPECT_TRUE(read->same_settings(s));

    auto* two = nlmsg_next(one, &left);
    ASSERT_TRUE(nlmsg_ok(two, left));
    EXPECT_EQ(two->nlmsg_flags, NLM_F_REQUEST) << "unacknowledged";
    EXPECT_EQ(two->nlmsg_seq, 8u);
    EXPECT_EQ(static_cast<genlmsghdr*>(nlmsg_data(two))->cmd, IPVS_CMD_DEL_SERVICE);
    attributes = wire::top_level(two);
    ASSERT_TRUE(attributes.has_value());
    auto key_only = (*attributes)[IPVS_CMD_ATTR_SERVICE];
    ASSERT_NE(key_only, nullptr);
    EXPECT_EQ(nla_find(static_cast<nlattr*>(nla_data(key_only)), nla_len(key_only),
                       IPVS_SVC_ATTR_SCHED_NAME),
              nullptr)
        << "a key without the settings";
    EXPECT_NE(
        nla_find(static_cast<nlattr*>(nla_data(key_only)), nla_len(key_only), IPVS_SVC_ATTR_PORT),
        nullptr);
    nlmsg_next(two, &left);
    EXPECT_EQ(left, 0) << "nothing after the second request";
}
