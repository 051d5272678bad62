#pragma once
// directord's control commands, registered in the control socket's table:
//   status                              the status document
//   reload {check?}                     like SIGHUP; answered once applied or rejected, with
//                                       the changes; check: true only says what would change
//   maintenance {on}                    create / remove the maintenance down-file
//   garp {instance}                     a MASTER instance's gratuitous ARPs / NAs again
//   drain {virtual_server, real_server} weight 0: established connections go on, no new ones
//   undrain {virtual_server, real_server}       back to the configured weight
//   weight {virtual_server, real_server, weight} an operator's weight, 0..65535
//   events                              the answer, then one JSON line per event (events.hpp)
// drain, undrain and weight are kept in the operator state file, so a reload or a restart
// keeps them.
#include <functional>

#include "control.hpp"
#include "directord/ipvs/programmer.hpp"
#include "directord/vrrp/engine.hpp"
#include "events.hpp"
#include "loading.hpp"
#include "operator_state.hpp"
#include "render.hpp"

namespace directord::daemon {

struct CommandParts {
    vrrp::Engine& engine;
    ipvs::Programmer& ipvs;
    Renderer& renderer;
    std::function<void(Reloader::Outcome, bool check_only)> reload;
    OperatorStateFile& operator_state;
    EventStream& events;
};

void add_commands(ControlSocket& control, const CommandParts& parts);

}  // namespace directord::daemon
