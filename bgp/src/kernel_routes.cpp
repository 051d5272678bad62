// Routes through libnl-route on a blocking socket of their own: a few addresses, each change
// one round trip to the kernel, acknowledged before the next.
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/route.h>

#include "directord/bgp/routes.hpp"
#include "directord/io_error.hpp"

namespace directord::bgp {

namespace {

template <class T, void (*Free)(T*)>
struct Freed {
    void operator()(T* p) const { Free(p); }
};
using Socket = std::unique_ptr<nl_sock, Freed<nl_sock, nl_socket_free>>;
using Route = std::unique_ptr<rtnl_route, Freed<rtnl_route, rtnl_route_put>>;
using Address = std::unique_ptr<nl_addr, Freed<nl_addr, nl_addr_put>>;
using Cache = std::unique_ptr<nl_cache, Freed<nl_cache, nl_cache_free>>;

Address host_prefix(const config::IpAddress& address) {
    Address a;
    if (address.is_v4()) {
        auto bytes = address.to_v4().to_bytes();
        a.reset(nl_addr_build(AF_INET, bytes.data(), bytes.size()));
    } else {
        auto bytes = address.to_v6().to_bytes();
        a.reset(nl_addr_build(AF_INET6, bytes.data(), bytes.size()));
    }
    return a;
}

config::IpAddress address_of(nl_addr* a) {
    const auto* data = static_cast<const unsigned char*>(nl_addr_get_binary_addr(a));
    if (nl_addr_get_family(a) == AF_INET) {
        boost::asio::ip::address_v4::bytes_type bytes;
        std::copy_n(data, bytes.size(), bytes.begin());
        return boost::asio::ip::address_v4(bytes);
    }
    boost::asio::ip::address_v6::bytes_type bytes;
    std::copy_n(data, bytes.size(), bytes.begin());
    return boost::asio::ip::address_v6(bytes);
}

class KernelRoutes final : public Routes {
  public:
    explicit KernelRoutes(std::uint8_t protocol) : socket_(nl_socket_alloc()), protocol_(protocol) {
        if (!socket_) throw IoError("open", "route socket", "out of memory");
        if (int err = nl_connect(socket_.get(), NETLINK_ROUTE); err < 0)
            throw IoError("open", "route socket", nl_geterror(err));
        loopback_ = static_cast<int>(if_nametoindex("lo"));
    }

    std::optional<std::string> set_delivery(const config::IpAddress& address,
                                            bool present) override {
        auto route = make(address, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST);
        auto* hop = rtnl_route_nh_alloc();
        rtnl_route_nh_set_ifindex(hop, loopback_);
        rtnl_route_add_nexthop(route.get(), hop);
        return change(route, present,
                      fmt::format("local {} dev lo table local", address.to_string()));
    }

    std::optional<std::string> set_announced(const config::IpAddress& address,
                                             bool present) override {
        auto route = make(address, RT_TABLE_MAIN, RTN_BLACKHOLE, RT_SCOPE_UNIVERSE);
        return change(route, present, fmt::format("blackhole {}", address.to_string()));
    }

    OwnRoutes read() override {
        OwnRoutes own;
        nl_cache* raw = nullptr;
        if (int err = rtnl_route_alloc_cache(socket_.get(), AF_UNSPEC, 0, &raw); err < 0)
            throw IoError("read", "routes", nl_geterror(err));
        Cache cache(raw);
        for (auto* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
            auto* r = reinterpret_cast<rtnl_route*>(o);
            if (rtnl_route_get_protocol(r) != protocol_) continue;
            auto* dst = rtnl_route_get_dst(r);
            unsigned full = nl_addr_get_family(dst) == AF_INET ? 32 : 128;
            if (nl_addr_get_prefixlen(dst) != full) continue;
            if (rtnl_route_get_table(r) == RT_TABLE_LOCAL && rtnl_route_get_type(r) == RTN_LOCAL)
                own.delivered.insert(address_of(dst));
            else if (rtnl_route_get_table(r) == RT_TABLE_MAIN &&
                     rtnl_route_get_type(r) == RTN_BLACKHOLE)
                own.announced.insert(address_of(dst));
        }
        return own;
    }

  private:
    Route make(const config::IpAddress& address, std::uint32_t table, std::uint8_t type,
               std::uint8_t scope) {
        Route route(rtnl_route_alloc());
        auto dst = host_prefix(address);
        rtnl_route_set_family(route.get(), address.is_v4() ? AF_INET : AF_INET6);
        rtnl_route_set_dst(route.get(), dst.get());
        rtnl_route_set_table(route.get(), table);
        rtnl_route_set_type(route.get(), type);
        rtnl_route_set_scope(route.get(), scope);
        rtnl_route_set_protocol(route.get(), protocol_);
        return route;
    }

    std::optional<std::string> change(const Route& route, bool present, const std::string& what) {
        int err = present ? rtnl_route_add(socket_.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL)
                          : rtnl_route_delete(socket_.get(), route.get(), 0);
        if (err >= 0 || (present && err == -NLE_EXIST) ||
            (!present && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR)))
            return std::nullopt;
        return fmt::format("{} route {} proto {}: {}", present ? "add" : "delete", what, protocol_,
                           nl_geterror(err));
    }

    Socket socket_;
    std::uint8_t protocol_;
    int loopback_ = 1;
};

}  // namespace

std::unique_ptr<Routes> kernel_routes(std::uint8_t protocol) {
    return std::make_unique<KernelRoutes>(protocol);
}

}  // namespace directord::bgp
