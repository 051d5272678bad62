#include "commands.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "directord/log.hpp"
#include "directord/text.hpp"

namespace directord::daemon {
namespace {

using nlohmann::json;

void status(Renderer& renderer, const Respond& respond) {
    renderer.request(Renderer::Kind::status, [respond](std::shared_ptr<const std::string> doc) {
        // The document is shared by every client asking: written, never copied.
        respond(Response(R"({"arguments":)", std::move(doc),
                         R"(,"result":0,"text":"status"})"
                         "\n"));
    });
}

void reload(const CommandParts& parts, const ControlRequest& request, const Respond& respond) {
    auto check = request.arguments.find("check");
    if (check != request.arguments.end() && !check->is_boolean())
        throw Rejected("reload takes {\"check\": true|false}");
    bool check_only = check != request.arguments.end() && check->get<bool>();
    log::info("control: reload{} requested by {}", check_only ? " check" : "", request.peer);
    parts.reload(
        [respond](const ReloadResult& result) {
            if (!result.errors.empty()) {
                json lines = json::array();
                for (const auto& e : result.errors) lines.push_back(e.to_string());
                respond(answer(1, "reload rejected: the running configuration stays",
                               {{"errors", lines}}));
                return;
            }
            auto text = result.applied
                            ? fmt::format("reload done: {} change(s)", result.changes.count)
                            : fmt::format("reload check: {} change(s), nothing applied",
                                          result.changes.count);
            respond(answer(0, text, {{"changes", result.changes.lines}}));
        },
        check_only);
}

void maintenance(const CommandParts& parts, const ControlRequest& request, const Respond& respond) {
    const auto& file = parts.engine.maintenance_file();
    if (!file) {
        respond(answer(1, "no maintenance_file is configured"));
        return;
    }
    bool on = argument(request.arguments, "on", json::value_t::boolean,
                       "maintenance needs {\"on\": true|false}")
                  .get<bool>();
    int rc = on ? open(file->c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644) : unlink(file->c_str());
    if (on && rc >= 0) close(rc);
    if (rc < 0 && !(errno == ENOENT && !on)) {
        respond(answer(1, fmt::format("{}: {}", *file, std::strerror(errno))));
        return;
    }
    auto done =
        fmt::format("maintenance {}: {} {}", on ? "on" : "off", *file, on ? "created" : "removed");
    log::info("control: {} (asked by {})", done, request.peer);
    parts.events.publish(
        {{"type", "maintenance"}, {"on", on}, {"file", *file}, {"asked_by", request.peer}});
    respond(answer(0, done));
}

void garp(vrrp::Engine& engine, const ControlRequest& request, const Respond& respond) {
    auto name = argument(request.arguments, "instance", json::value_t::string,
                         "garp needs {\"instance\": NAME}")
                    .get<std::string>();
    auto* instance = engine.find(name);
    if (!instance) {
        respond(answer(1, fmt::format("no VRRP instance named '{}'", name)));
    } else if (!instance->announce()) {
        respond(answer(1, fmt::format("{} is {}, not MASTER: it owns no VIP to announce", name,
                                      to_string(instance->state()))));
    } else {
        respond(answer(0, fmt::format("{}: gratuitous ARPs sent", name)));
    }
}

// drain, undrain and weight: `weight` is the operator's weight, none to undo it.
void set_weight(const CommandParts& parts, const ControlRequest& request, const Respond& respond,
                const char* usage, std::optional<std::uint32_t> weight) {
    auto vs = argument(request.arguments, "virtual_server", json::value_t::string, usage)
                  .get<std::string>();
    auto rs =
        argument(request.arguments, "real_server", json::value_t::string, usage).get<std::string>();
    const auto& pools = parts.ipvs.desired().pools();
    auto pool = pools.find(vs);
    if (!pool) throw Rejected(fmt::format("no virtual server named '{}'", vs));
    auto member = pools.find_member(*pool, rs);
    if (!member)
        throw Rejected(
            fmt::format("virtual server {} has no real server {} (ADDRESS:PORT)", vs, rs));
    auto what = !weight        ? std::string("back to its configured weight")
                : *weight == 0 ? std::string("drained (weight 0)")
                               : fmt::format("weight {}", *weight);
    if (!parts.ipvs.set_operator_weight(vs, rs, weight)) {
        respond(answer(0, fmt::format("{} {}: already {}", vs, rs, what)));
        return;
    }
    log::info("ipvs: {} {}: {} (asked by {})", vs, rs, what, request.peer);
    parts.events.publish({{"type", "operator_weight"},
                          {"virtual_server", vs},
                          {"real_server", rs},
                          {"weight", weight ? json(*weight) : json(nullptr)},
                          {"asked_by", request.peer}});
    if (auto failed = parts.operator_state.write(parts.ipvs.desired().operator_weights())) {
        log::error("operator state: drains and weights not kept for a restart: {}", *failed);
        respond(answer(1, fmt::format("{} {}: {} now, but not kept for a restart: {}", vs, rs, what,
                                      *failed)));
        return;
    }
    respond(answer(0, fmt::format("{} {}: {}", vs, rs, what)));
}

}  // namespace

void add_commands(ControlSocket& control, const CommandParts& parts) {
    control.add("status",
                [&renderer = parts.renderer](const ControlRequest&, const Respond& respond) {
                    status(renderer, respond);
                });
    control.add("reload", [parts](const ControlRequest& request, const Respond& respond) {
        reload(parts, request, respond);
    });
    control.add("maintenance", [parts](const ControlRequest& request, const Respond& respond) {
        maintenance(parts, request, respond);
    });
    control.add("garp",
                [&engine = parts.engine](const ControlRequest& request, const Respond& respond) {
                    garp(engine, request, respond);
                });
    control.add(
        "events", [&events = parts.events](const ControlRequest& request, const Respond& respond) {
            if (events.full()) {
                respond(answer(1, fmt::format("{} clients already follow the events",
                                              EventStream::kMaxListeners)));
                return;
            }
            log::info("control: events followed by {}", request.peer);
            events.add(request.open_stream(answer(0, "events follow, one JSON object per line")));
        });
    control.add("drain", [parts](const ControlRequest& request, const Respond& respond) {
        set_weight(parts, request, respond,
                   "drain needs {\"virtual_server\": NAME, \"real_server\": ADDRESS:PORT}", 0);
    });
    control.add("undrain", [parts](const ControlRequest& request, const Respond& respond) {
        set_weight(parts, request, respond,
                   "undrain needs {\"virtual_server\": NAME, \"real_server\": ADDRESS:PORT}",
                   std::nullopt);
    });
    control.add("weight", [parts](const ControlRequest& request, const Respond& respond) {
        const char* usage =
            "weight needs {\"virtual_server\": NAME, \"real_server\": ADDRESS:PORT, "
            "\"weight\": 0..65535}";
        const auto& w = request.arguments.find("weight");
        if (w == request.arguments.end() || !w->is_number_unsigned() ||
            w->get<std::uint64_t>() > 65535)
            throw Rejected(usage);
        set_weight(parts, request, respond, usage, w->get<std::uint32_t>());
    });
}

}  // namespace directord::daemon
