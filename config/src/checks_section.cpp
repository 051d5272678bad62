// Endpoints and health checks (of real servers, virtual servers and tracked checks).
#include <fmt/format.h>

#include "sections.hpp"

namespace directord::config::detail {

// "10.0.0.1:80" or "[fd00::1]:80".
std::optional<std::pair<IpAddress, std::uint16_t>> read_endpoint(Reader& r, const YAML::Node& node,
                                                                 const std::string& path) {
    auto text = r.string(node, path);
    if (!text) return std::nullopt;
    auto endpoint = parse_endpoint(*text);
    if (!endpoint)
        r.fail(node, path, fmt::format("'{}' is not ADDRESS:PORT (IPv6: [ADDRESS]:PORT)", *text));
    return endpoint;
}

std::optional<StatusRange> read_status(Reader& r, const YAML::Node& node, const std::string& path) {
    auto text = r.string(node, path);
    if (!text) return std::nullopt;
    StatusRange range;
    auto dash = text->find('-');
    auto number = [](const std::string& t, int& out) {
        auto [end, err] = std::from_chars(t.data(), t.data() + t.size(), out);
        return err == std::errc{} && end == t.data() + t.size() && out >= 100 && out <= 599;
    };
    bool ok = dash == std::string::npos
                  ? number(*text, range.low) && number(*text, range.high)
                  : number(text->substr(0, dash), range.low) &&
                        number(text->substr(dash + 1), range.high) && range.low <= range.high;
    if (!ok) {
        r.fail(node, path,
               fmt::format("'{}' is not a status code or range (e.g. 200, 200-299)", *text));
        return std::nullopt;
    }
    return range;
}

// verify, sni and ca_file, as HTTPS and SMTP with STARTTLS share them.
template <class WithTls>
void read_tls_keys(Reader& r, const YAML::Node& node, const std::string& path, WithTls& check) {
    r.optional_boolean(node, path, "verify", check.verify);
    r.optional_string(node, path, "sni", check.sni);
    r.optional_key(node, path, "ca_file", check.ca_file, [&](auto& n, auto p) {
        auto v = r.string(n, p);
        if (v && access(v->c_str(), R_OK) != 0) {
            r.fail(n, p, fmt::format("cannot read '{}'", *v));
            v.reset();
        }
        return v;
    });
}

std::optional<HttpCheck> read_http(Reader& r, const YAML::Node& node, const std::string& path) {
    HttpCheck h;
    if (node.IsNull()) return h;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path,
                          {"method", "path", "host", "status", "body_regex", "tls", "verify", "sni",
                           "ca_file", "reuse_connection"});
    auto str = [&](auto& n, auto p) { return r.string(n, p); };
    r.optional_key(node, path, "method", h.method, [&](auto& n, auto p) {
        return r.choice(n, p, {"GET", "HEAD"});
    });
    r.optional_key(node, path, "path", h.path, [&](auto& n, auto p) {
        auto v = r.string(n, p);
        if (v && (v->empty() || v->front() != '/')) {
            r.fail(n, p, "the path must start with /");
            v.reset();
        }
        return v;
    });
    r.optional_key(node, path, "host", h.host, str);
    if (auto n = node["status"]) {
        auto p = Reader::join(path, "status");
        if (n.IsScalar()) {
            if (auto one = read_status(r, n, p)) h.status = {*one};
        } else {
            h.status = read_list<StatusRange>(
                r, n, p, [&](auto& x, auto q) { return read_status(r, x, q); });
        }
    }
    r.optional_key(node, path, "body_regex", h.body_regex,
                   [&](auto& n, auto p) { return read_regex(r, n, p); });
    r.optional_boolean(node, path, "tls", h.tls);
    read_tls_keys(r, node, path, h);
    r.optional_boolean(node, path, "reuse_connection", h.reuse_connection);
    return h;
}

std::optional<SmtpCheck> read_smtp(Reader& r, const YAML::Node& node, const std::string& path) {
    SmtpCheck s;
    if (node.IsNull()) return s;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path, {"helo_name", "starttls", "verify", "sni", "ca_file"});
    r.optional_key(node, path, "helo_name", s.helo_name, [&](auto& n, auto p) {
        auto v = r.string(n, p);
        if (v && (v->empty() || v->find_first_of(" \r\n") != std::string::npos)) {
            r.fail(n, p, "a host name: no spaces or line breaks");
            v.reset();
        }
        return v;
    });
    r.optional_boolean(node, path, "starttls", s.starttls);
    read_tls_keys(r, node, path, s);
    return s;
}

// MySQL and Galera share the login (the password always comes from a private file) and add
// one key of their own.
template <class DatabaseCheck, class ReadOwnKey>
DatabaseCheck read_database_check(Reader& r, const YAML::Node& n, const std::string& p,
                                  std::string_view own_key, ReadOwnKey read_own_key) {
    DatabaseCheck check;
    if (!r.is_map(n, p)) return check;
    r.reject_unknown_keys(n, p, {"user", "password_file", own_key});
    if (auto u = r.required(n, p, "user"))
        check.user = r.string(u, Reader::join(p, "user")).value_or("");
    if (auto f = r.required(n, p, "password_file"))
        check.password = read_password_file(r, f, Reader::join(p, "password_file"));
    read_own_key(check, n, p);
    return check;
}

std::optional<Check> read_check(Reader& r, const YAML::Node& node, const std::string& path) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(
        node, path,
        {"tcp", "http", "script", "mysql", "galera", "udp", "dns", "ping", "smtp", "port",
         "interval", "timeout", "retries", "retry_delay", "rise", "fall", "initial"});
    Check c;
    std::size_t errors_before = r.errors().size();
    int kinds = 0;
    if (auto n = node["tcp"]) {
        ++kinds;
        TcpCheck t;
        auto p = Reader::join(path, "tcp");
        if (!n.IsNull() && r.is_map(n, p)) {
            r.reject_unknown_keys(n, p, {"bind"});
            if (auto b = n["bind"]) t.bind = r.address(b, Reader::join(p, "bind"));
        }
        c.kind = t;
    }
    if (auto n = node["http"]) {
        ++kinds;
        if (auto h = read_http(r, n, Reader::join(path, "http"))) c.kind = *h;
    }
    if (auto n = node["script"]) {
        ++kinds;
        auto p = Reader::join(path, "script");
        ScriptCheck sc;
        if (r.is_map(n, p)) {
            r.reject_unknown_keys(n, p, {"run"});
            if (auto run = r.required(n, p, "run")) sc.argv = r.argv(run, Reader::join(p, "run"));
        }
        c.kind = sc;
    }
    if (auto n = node["mysql"]) {
        ++kinds;
        c.kind = read_database_check<MysqlCheck>(
            r, n, Reader::join(path, "mysql"), "query",
            [&](auto& m, auto& n2, auto& p2) { r.optional_string(n2, p2, "query", m.query); });
    }
    if (auto n = node["galera"]) {
        ++kinds;
        c.kind = read_database_check<GaleraCheck>(
            r, n, Reader::join(path, "galera"), "donor_ok", [&](auto& g, auto& n2, auto& p2) {
                r.optional_boolean(n2, p2, "donor_ok", g.donor_ok);
            });
    }
    if (auto n = node["udp"]) {
        ++kinds;
        c.kind = read_udp(r, n, Reader::join(path, "udp"));
    }
    if (auto n = node["dns"]) {
        ++kinds;
        c.kind = read_dns(r, n, Reader::join(path, "dns"));
    }
    if (auto n = node["ping"]) {
        ++kinds;
        c.kind = read_ping(r, n, Reader::join(path, "ping"));
        if (node["port"]) r.fail(node["port"], Reader::join(path, "port"), "a ping has no port");
    }
    if (auto n = node["smtp"]) {
        ++kinds;
        if (auto smtp = read_smtp(r, n, Reader::join(path, "smtp"))) c.kind = *smtp;
    }
    if (kinds != 1)
        r.fail(node, path,
               "give exactly one check kind: tcp, http, script, mysql, galera, udp, dns, ping or "
               "smtp");
    r.optional_integer(node, path, "port", c.port, 1, 65535);
    r.optional_duration(node, path, "interval", c.interval, 10ms, 3600s);
    r.optional_duration(node, path, "timeout", c.timeout, 1ms, 3600s);
    r.optional_integer(node, path, "retries", c.retries, 0, 100);
    r.optional_duration(node, path, "retry_delay", c.retry_delay, 0s, 3600s);
    r.optional_integer(node, path, "rise", c.rise, 1, 100);
    r.optional_integer(node, path, "fall", c.fall, 1, 100);
    r.optional_key(node, path, "initial", c.initially_up, [&](auto& n, auto p) {
        auto v = r.choice(n, p, {"down", "up"});
        return v ? std::optional<bool>(*v == "up") : std::nullopt;
    });
    if (r.errors().size() != errors_before) return std::nullopt;
    return c;
}

}  // namespace directord::config::detail
