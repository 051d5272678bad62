#include "directord/vrrp/addresses.hpp"

#include <fmt/format.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "directord/io_error.hpp"
#include "directord/log.hpp"

namespace directord::vrrp {
namespace {

struct AddrDeleter {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};

int scope_value(config::AddressScope scope) {
    switch (scope) {
        case config::AddressScope::global:
            return RT_SCOPE_UNIVERSE;
        case config::AddressScope::site:
            return RT_SCOPE_SITE;
        case config::AddressScope::link:
            return RT_SCOPE_LINK;
        case config::AddressScope::host:
            return RT_SCOPE_HOST;
    }
    return RT_SCOPE_UNIVERSE;
}

// nullptr when libnl cannot represent the address (out of memory).
std::unique_ptr<rtnl_addr, AddrDeleter> make_addr(int ifindex, const config::Vip& vip) {
    std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
    nl_addr* raw = nullptr;
    int family = vip.address.is_v4() ? AF_INET : AF_INET6;
    if (!addr || nl_addr_parse(vip.address.to_string().c_str(), family, &raw) < 0) return nullptr;
    std::unique_ptr<nl_addr, NlAddrDeleter> local(raw);
    nl_addr_set_prefixlen(local.get(), vip.prefix_length);
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), family);
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_prefixlen(addr.get(), vip.prefix_length);
    rtnl_addr_set_scope(addr.get(), scope_value(vip.scope));
    if (!vip.label.empty()) rtnl_addr_set_label(addr.get(), vip.label.c_str());
    // Usable at once on take-over: duplicate address detection would hold an IPv6 VIP
    // tentative (unusable) for a second or more, and the old master may still answer for it.
    if (family == AF_INET6) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    if (family == AF_INET6 && !vip.source_address) {
        // Deprecated: never the source the kernel picks for our own connections (see Vip).
        rtnl_addr_set_preferred_lifetime(addr.get(), 0);
        rtnl_addr_set_valid_lifetime(addr.get(), 0xffffffffU);  // forever
    }
    return addr;
}

// The kernel's own explanation (extended ack), e.g. "ipv4: Invalid scope value.", if any.
std::string extended_ack_text(const nlmsgerr* error) {
    auto* outer =
        reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(error) - NLMSG_HDRLEN);
    if (!(outer->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
    std::size_t offset = sizeof(nlmsgerr);
    if (!(outer->nlmsg_flags & NLM_F_CAPPED)) offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
    auto* attrs = reinterpret_cast<const char*>(error) + offset;
    long left = static_cast<long>(outer->nlmsg_len) - NLMSG_HDRLEN - static_cast<long>(offset);
    for (auto* a = reinterpret_cast<const nlattr*>(attrs);
         left >= static_cast<long>(sizeof(nlattr)) && a->nla_len >= sizeof(nlattr) &&
         a->nla_len <= left;) {
        if (a->nla_type == NLMSGERR_ATTR_MSG)
            return std::string(
                reinterpret_cast<const char*>(a) + NLA_HDRLEN,
                strnlen(reinterpret_cast<const char*>(a) + NLA_HDRLEN, a->nla_len - NLA_HDRLEN));
        long step = NLA_ALIGN(a->nla_len);
        left -= step;
        a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(a) + step);
    }
    return {};
}

}  // namespace

std::string describe(const config::Vip& vip) {
    auto text = fmt::format("{}/{}", vip.address.to_string(), vip.prefix_length);
    if (!vip.label.empty()) text += fmt::format(" label {}", vip.label);
    return text;
}

AddressManager::AddressManager(boost::asio::io_context& io)
    : netlink_(io, "rtnetlink address socket", [this](nl_sock* sock) {
          nl_socket_modify_cb(sock, NL_CB_ACK, NL_CB_CUSTOM, &AddressManager::on_ack, this);
          nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, &AddressManager::on_error, this);
          int one = 1;  // ask for the kernel's own explanation of a refusal
          setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
          return 0;
      }) {
    netlink_.receive([](int) {});  // answers are handled by on_ack / on_error
}

AddressManager::~AddressManager() = default;

void AddressManager::add(int ifindex, const std::string& interface, const config::Vip& vip,
                         Done done) {
    request(true, ifindex, fmt::format("add address {} on {}", describe(vip), interface), vip,
            std::move(done));
}

void AddressManager::remove(int ifindex, const std::string& interface, const config::Vip& vip,
                            Done done) {
    request(false, ifindex, fmt::format("remove address {} from {}", describe(vip), interface), vip,
            std::move(done));
}

void AddressManager::request(bool add, int ifindex, std::string what, const config::Vip& vip,
                             Done done) {
    nl_msg* msg = nullptr;
    auto addr = make_addr(ifindex, vip);
    int err = !addr ? -NLE_NOMEM
              : add ? rtnl_addr_build_add_request(addr.get(), NLM_F_CREATE, &msg)
                    : rtnl_addr_build_delete_request(addr.get(), 0, &msg);
    if (err < 0) {
        done(fmt::format("{}: {}", what, nl_geterror(err)));
        return;
    }
    // Adding a present address or removing an absent one is already the wanted state.
    send(msg, Pending{std::move(what), add ? EEXIST : EADDRNOTAVAIL, std::move(done)});
}

void AddressManager::send(nl_msg* msg, Pending pending) {
    int err =
        nl_send_auto(netlink_.get(), msg);  // completes the header: sequence number, NLM_F_ACK
    unsigned sequence = nlmsg_hdr(msg)->nlmsg_seq;
    nlmsg_free(msg);
    if (err < 0) {
        pending.done(fmt::format("{}: {}", pending.what, nl_geterror(err)));
        return;
    }
    pending_.emplace(sequence, std::move(pending));
}

int AddressManager::on_ack(nl_msg* msg, void* self) {
    static_cast<AddressManager*>(self)->finish(nlmsg_hdr(msg)->nlmsg_seq, 0, {});
    return NL_STOP;
}

int AddressManager::on_error(sockaddr_nl*, nlmsgerr* error, void* self) {
    static_cast<AddressManager*>(self)->finish(error->msg.nlmsg_seq, -error->error,
                                               extended_ack_text(error));
    return NL_STOP;
}

void AddressManager::finish(unsigned sequence, int error, const std::string& detail) {
    auto it = pending_.find(sequence);
    if (it == pending_.end()) return;
    auto pending = std::move(it->second);
    pending_.erase(it);
    if (error == 0 || error == pending.ignored_error ||
        (error == ENODEV && pending.ignored_error == EADDRNOTAVAIL)) {
        pending.done(std::nullopt);
        return;
    }
    pending.done(fmt::format("{}: {}{}{}", pending.what, std::strerror(error),
                             detail.empty() ? "" : ": ", detail));
}

}  // namespace directord::vrrp
