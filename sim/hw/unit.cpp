#include "sim/hw/unit.h"

namespace nnasim::hw {

UnitBase::UnitBase(sc_core::sc_module_name name, const program::Program& prog, Scoreboard& sb, Ocm& ocm)
    : sc_module(name), ocm_(ocm), prog_(prog), sb_(sb) {
  SC_THREAD(run);
}

void UnitBase::run() {
  for (uint32_t id : queue_) {
    const program::Command& c = prog_.cmds[id];
    sb_.wait_ready(id);
    sb_.started(id);
    const double t0 = sc_core::sc_time_stamp().to_seconds();
    ocm_.alloc(c.ocm_alloc);
    ocm_.read(c.ocm_read);
    ocm_.write(c.ocm_write);
    execute(c);
    ocm_.free(c.ocm_free);
    stats_.busy_seconds += sc_core::sc_time_stamp().to_seconds() - t0;
    ++stats_.commands;
    sb_.finished(id);
  }
}

}  // namespace nnasim::hw
