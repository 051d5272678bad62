#include "operator_state.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "directord/log.hpp"

namespace directord::daemon {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

// The file's descriptor for as long as it is written.
struct OpenFile {
    explicit OpenFile(const std::string& path)
        : fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {}
    ~OpenFile() {
        if (fd >= 0) ::close(fd);
    }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    int fd;
};

std::optional<std::string> write_synced(const std::string& path, const std::string& text) {
    OpenFile file(path);
    if (file.fd < 0) return std::strerror(errno);
    int fd = file.fd;
    std::size_t done = 0;
    while (done < text.size()) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::strerror(errno);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return std::strerror(errno);
    return std::nullopt;
}

}  // namespace

std::string format_operator_state(const OperatorWeights& weights) {
    json entries = json::array();
    for (const auto& [pool, members] : weights)
        for (const auto& [member, weight] : members)
            entries.push_back(
                {{"virtual_server", pool}, {"real_server", member}, {"weight", weight}});
    json doc = {{"version", kVersion}, {"operator_weights", std::move(entries)}};
    return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::variant<OperatorWeights, std::string> parse_operator_state(const std::string& text) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::string("not a JSON object");
    if (doc.value("version", json()) != kVersion)
        return fmt::format("version {} expected", kVersion);
    auto entries = doc.find("operator_weights");
    if (entries == doc.end() || !entries->is_array())
        return std::string("\"operator_weights\" must be a list");
    OperatorWeights weights;
    for (std::size_t i = 0; i < entries->size(); ++i) {
        const auto& e = (*entries)[i];
        if (!e.is_object() || !e.contains("virtual_server") || !e["virtual_server"].is_string() ||
            !e.contains("real_server") || !e["real_server"].is_string() || !e.contains("weight") ||
            !e["weight"].is_number_unsigned() ||
            e["weight"].get<std::uint64_t>() > std::numeric_limits<std::int32_t>::max())
            return fmt::format(
                "operator_weights[{}] must be {{virtual_server: NAME, real_server: ADDRESS:PORT, "
                "weight: 0..{}}}",
                i, std::numeric_limits<std::int32_t>::max());
        weights[e["virtual_server"].get<std::string>()][e["real_server"].get<std::string>()] =
            e["weight"].get<std::uint32_t>();
    }
    return weights;
}

std::variant<OperatorWeights, std::string> OperatorStateFile::read() {
    std::ifstream in(path_);
    if (!in) {
        if (errno == ENOENT) {  // none kept yet: nothing to write until there is
            written_ = format_operator_state({});
            return OperatorWeights{};
        }
        return fmt::format("{}: {}", path_, std::strerror(errno));
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_operator_state(text.str());
    if (auto* why = std::get_if<std::string>(&parsed)) return fmt::format("{}: {}", path_, *why);
    written_ = text.str();
    return parsed;
}

std::optional<std::string> OperatorStateFile::write(const OperatorWeights& weights) {
    auto text = format_operator_state(weights);
    if (written_ == text) return std::nullopt;
    auto slash = path_.rfind('/');
    if (slash != std::string::npos && slash > 0)
        ::mkdir(path_.substr(0, slash).c_str(), 0700);  // the first time, without systemd
    auto temporary = path_ + ".new";
    auto failed = write_synced(temporary, text);
    if (!failed && ::rename(temporary.c_str(), path_.c_str()) != 0) failed = std::strerror(errno);
    if (failed) {
        ::unlink(temporary.c_str());
        return fmt::format("{}: {}", path_, *failed);
    }
    written_ = std::move(text);
    return std::nullopt;
}

bool restore_operator_weights(OperatorStateFile& file, ipvs::Programmer& ipvs) {
    auto kept = file.read();
    if (auto* why = std::get_if<std::string>(&kept)) {
        log::error("operator state: {}: drains and weights not restored; the file is left as is",
                   *why);
        return false;
    }
    for (const auto& [pool, members] : std::get<OperatorWeights>(kept))
        for (const auto& [member, weight] : members) {
            if (ipvs.set_operator_weight(pool, member, weight))
                log::info("ipvs: {} {}: {} (kept in {})", pool, member,
                          weight ? fmt::format("weight {}", weight) : "drained (weight 0)",
                          file.path());
            else
                log::info("ipvs: {} {}: operator weight forgotten, no longer configured", pool,
                          member);
        }
    keep_operator_weights(file, ipvs);
    return true;
}

void keep_operator_weights(OperatorStateFile& file, const ipvs::Programmer& ipvs) {
    if (auto failed = file.write(ipvs.desired().operator_weights()))
        log::error("operator state: drains and weights not kept for a restart: {}", *failed);
}

}  // namespace directord::daemon
