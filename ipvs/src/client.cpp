#include "directord/ipvs/client.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "attributes.hpp"
#include "directord/ipvs/table_reader.hpp"
#include "netlink.hpp"

namespace directord::ipvs {
namespace {

using wire::put_address;
using wire::put_service;
using wire::Request;

void put_destination(Request& request, const Destination& d, bool settings) {
    const auto nest = request.nest_start(IPVS_CMD_ATTR_DEST);
    request.put_u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.address.is_v6() ? AF_INET6 : AF_INET);
    put_address(request, IPVS_DEST_ATTR_ADDR, d.address);
    request.put_u16(IPVS_DEST_ATTR_PORT, htons(d.port));
    if (settings) {
        request.put_u32(IPVS_DEST_ATTR_FWD_METHOD, static_cast<std::uint32_t>(d.forward));
        request.put_u32(IPVS_DEST_ATTR_WEIGHT, d.weight);
        request.put_u32(IPVS_DEST_ATTR_U_THRESH, d.upper_threshold);
        request.put_u32(IPVS_DEST_ATTR_L_THRESH, d.lower_threshold);
    }
    request.nest_end(nest);
}

// A malformed answer is the kernel's (or an impostor's) fault: refused with a typed error.
template <class T>
T well_formed(std::optional<T> parsed, const char* what) {
    if (!parsed) throw IpvsError(fmt::format("IPVS: {}: malformed answer refused", what), EPROTO);
    return std::move(*parsed);
}

// Collects replies and the kernel's verdicts while libnl reads.
struct Exchange {
    std::function<void(nl_msg*)> on_reply;
    std::uint32_t last;                   // the request whose answer ends the exchange
    std::map<std::uint32_t, int> errors;  // sequence -> errno of refused requests
    bool done = false;
};

int on_valid(nl_msg* msg, void* arg) {
    auto* x = static_cast<Exchange*>(arg);
    if (x->on_reply) x->on_reply(msg);
    return NL_OK;
}
// An ack, or the end of a dump.
int on_answer(nl_msg* msg, void* arg) {
    auto* x = static_cast<Exchange*>(arg);
    if (nlmsg_hdr(msg)->nlmsg_seq == x->last) x->done = true;
    return NL_OK;
}
int on_error(sockaddr_nl*, nlmsgerr* err, void* arg) {
    auto* x = static_cast<Exchange*>(arg);
    x->errors[err->msg.nlmsg_seq] = -err->error;
    if (err->msg.nlmsg_seq == x->last) x->done = true;
    return NL_SKIP;
}

// Reads until the answer to the exchange's last request arrived. The kernel handles requests
// in order, so every earlier answer (a refusal: successes unacknowledged) came before it.
void receive(nl_sock* sock, Exchange& exchange, const std::string& what) {
    std::unique_ptr<nl_cb, void (*)(nl_cb*)> cb(nl_cb_alloc(NL_CB_DEFAULT), nl_cb_put);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &exchange);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_answer, &exchange);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_answer, &exchange);
    // Batches have many requests in flight: answers are matched by sequence number here.
    nl_cb_set(
        cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) -> int { return NL_OK; },
        nullptr);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &exchange);
    while (!exchange.done) {
        int rc = nl_recvmsgs(sock, cb.get());
        if (rc < 0) throw IpvsError(fmt::format("{}: {}", what, nl_geterror(rc)), 0);
    }
}

}  // namespace

IpvsError::IpvsError(const std::string& what, int error)
    : std::runtime_error(error ? fmt::format("{}: {}", what, std::strerror(error)) : what),
      error_(error) {}

Client::Client() : socket_(nullptr, nl_socket_free) { connect(); }

void Client::connect() {
    socket_ = wire::open();
    family_ = wire::resolve_family(socket_.get());
}

Client::~Client() = default;

// After an exchange that failed half-way its answers may still be queued on the socket: the
// next exchange starts on a new one rather than read them as its own.
template <class Exchange>
void Client::receive_or_reset(Exchange& exchange, const std::string& what) {
    try {
        receive(socket_.get(), exchange, what);
    } catch (const IpvsError&) {
        try {
            connect();
        } catch (const IpvsError&) {  // the first error is the one to tell
        }
        throw;
    }
}

Request Client::message(std::uint8_t command, int flags) {
    return Request(socket_.get(), family_, command, flags, sequence_++);
}

template <class OnReply>
void Client::request(Request msg, const std::string& what, OnReply&& on_reply) {
    const std::uint32_t sequence = msg.sequence();
    Exchange exchange{std::forward<OnReply>(on_reply), sequence, {}};
    msg.send(socket_.get(), what);
    receive_or_reset(exchange, what);
    if (auto it = exchange.errors.find(sequence); it != exchange.errors.end())
        throw IpvsError(what, it->second);
}

void Client::request(Request msg, const std::string& what) {
    request(std::move(msg), what, nullptr);
}

Info Client::info() {
    Info info;
    request(message(IPVS_CMD_GET_INFO, NLM_F_ACK), "IPVS: get info", [&](nl_msg* msg) {
        auto a = well_formed(wire::top_level(msg, true), "get info");
        info.version = wire::u32(a[IPVS_INFO_ATTR_VERSION]);
        info.connection_table_size = wire::u32(a[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
    });
    return info;
}

Table Client::read() { return TableReader(family_).read_all(std::chrono::hours(1)); }

std::vector<unsigned char> Client::append(std::vector<unsigned char> batch, const Change& c,
                                          std::uint32_t sequence, bool acknowledged) {
    using Kind = Change::Kind;
    static constexpr std::uint8_t commands[] = {IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE,
                                                IPVS_CMD_NEW_DEST,    IPVS_CMD_SET_DEST,
                                                IPVS_CMD_DEL_DEST,    IPVS_CMD_DEL_SERVICE};
    Request msg(socket_.get(), family_, commands[static_cast<int>(c.kind)],
                acknowledged ? NLM_F_ACK : 0, sequence, std::move(batch));
    bool service_settings = c.kind == Kind::add_service || c.kind == Kind::update_service;
    put_service(msg, c.service, service_settings);
    if (c.kind == Kind::add_destination || c.kind == Kind::update_destination ||
        c.kind == Kind::delete_destination)
        put_destination(msg, c.destination, c.kind != Kind::delete_destination);
    return std::move(msg).take();
}

void Client::apply(std::span<const Change> changes) {
    std::vector<unsigned char> batch;
    for (std::size_t start = 0; start < changes.size(); start += kBatch) {
        auto part = changes.subspan(start, std::min(kBatch, changes.size() - start));
        std::uint32_t first = sequence_;
        sequence_ += static_cast<std::uint32_t>(part.size());
        batch.clear();
        // Only refusals and the batch's last request are answered: one read per batch.
        for (std::size_t i = 0; i < part.size(); ++i)
            batch = append(std::move(batch), part[i], first + static_cast<std::uint32_t>(i),
                           i + 1 == part.size());
        // One datagram carries the whole batch; the kernel answers each message in turn.
        wire::send(socket_.get(), batch, fmt::format("IPVS: send {} changes", part.size()));
        Exchange exchange{nullptr, first + static_cast<std::uint32_t>(part.size() - 1), {}};
        receive_or_reset(exchange, "IPVS: apply changes");
        // Only answers to this batch count: a leftover of an earlier exchange is not one.
        auto refused = exchange.errors.lower_bound(first);
        if (refused != exchange.errors.end() && refused->first - first < part.size())
            throw IpvsError("IPVS: " + describe(part[refused->first - first]), refused->second);
    }
}

void Client::flush() { request(message(IPVS_CMD_FLUSH, NLM_F_ACK), "IPVS: flush"); }

bool SyncDaemon::is(const SyncDaemon& running) const {
    return role == running.role && interface == running.interface && sync_id == running.sync_id &&
           (!group || group == running.group) && (!port || port == running.port) &&
           (!ttl || ttl == running.ttl) && (!max_length || max_length == running.max_length);
}

std::string describe(const SyncDaemon& d) {
    std::string out = fmt::format("{} on {}, sync id {}",
                                  d.role == SyncDaemon::Role::master ? "master" : "backup",
                                  d.interface, d.sync_id);
    if (d.group) out += ", group " + d.group->to_string();
    if (d.port) out += fmt::format(", port {}", d.port);
    if (d.ttl) out += fmt::format(", TTL {}", d.ttl);
    if (d.max_length) out += fmt::format(", max length {}", d.max_length);
    return out;
}

void Client::start_sync_daemon(const SyncDaemon& d) {
    auto msg = message(IPVS_CMD_NEW_DAEMON, NLM_F_ACK);
    const auto nest = msg.nest_start(IPVS_CMD_ATTR_DAEMON);
    msg.put_u32(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(d.role));
    msg.put_string(IPVS_DAEMON_ATTR_MCAST_IFN, d.interface);
    msg.put_u32(IPVS_DAEMON_ATTR_SYNC_ID, d.sync_id);
    if (d.group && d.group->is_v4()) {
        auto bytes = d.group->to_v4().to_bytes();
        msg.put(IPVS_DAEMON_ATTR_MCAST_GROUP, bytes.data(), bytes.size());
    } else if (d.group) {
        auto bytes = d.group->to_v6().to_bytes();
        msg.put(IPVS_DAEMON_ATTR_MCAST_GROUP6, bytes.data(), bytes.size());
    }
    if (d.port) msg.put_u16(IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
    if (d.ttl) msg.put_u8(IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
    if (d.max_length) msg.put_u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.max_length);
    msg.nest_end(nest);
    request(std::move(msg), "IPVS: start sync daemon (" + describe(d) + ")");
}

void Client::stop_sync_daemon(SyncDaemon::Role role) {
    auto msg = message(IPVS_CMD_DEL_DAEMON, NLM_F_ACK);
    const auto nest = msg.nest_start(IPVS_CMD_ATTR_DAEMON);
    msg.put_u32(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(role));
    msg.nest_end(nest);
    request(std::move(msg), fmt::format("IPVS: stop {} sync daemon",
                                        role == SyncDaemon::Role::master ? "master" : "backup"));
}

std::vector<SyncDaemon> Client::sync_daemons() {
    std::vector<SyncDaemon> list;
    request(message(IPVS_CMD_GET_DAEMON, NLM_F_DUMP), "IPVS: list sync daemons", [&](nl_msg* msg) {
        auto top = well_formed(wire::top_level(msg), "list sync daemons");
        if (top[IPVS_CMD_ATTR_DAEMON])
            list.push_back(
                well_formed(wire::parse_daemon(top[IPVS_CMD_ATTR_DAEMON]), "list sync daemons"));
    });
    return list;
}

void Client::set_timeouts(const Timeouts& t) {
    auto msg = message(IPVS_CMD_SET_CONFIG, NLM_F_ACK);
    msg.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
    msg.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
    msg.put_u32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
    request(std::move(msg), "IPVS: set timeouts");
}

Timeouts Client::timeouts() {
    Timeouts t;
    request(message(IPVS_CMD_GET_CONFIG, NLM_F_ACK), "IPVS: get timeouts", [&](nl_msg* msg) {
        auto a = well_formed(wire::top_level(msg), "get timeouts");
        t = Timeouts{wire::u32(a[IPVS_CMD_ATTR_TIMEOUT_TCP]),
                     wire::u32(a[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]),
                     wire::u32(a[IPVS_CMD_ATTR_TIMEOUT_UDP])};
    });
    return t;
}

}  // namespace directord::ipvs
