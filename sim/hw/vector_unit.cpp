#include "sim/hw/vector_unit.h"
#include "sim/hw/sim_time.h"

#include "sim/hw/systolic.h"

namespace nnasim::hw {

VectorUnit::VectorUnit(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog,
                       Scoreboard& sb, Ocm& ocm)
    : UnitBase(name, prog, sb, ocm), hw_(hw) {}

int64_t VectorUnit::cycles(const program::Command& c) const {
  return vector_tile_cycles(hw_, c.ops, c.ocm_read + c.ocm_write);
}

void VectorUnit::execute(const program::Command& c) {
  stats_.ops += c.ops;
  sc_core::wait(cycles_time(cycles(c), hw_.clock_hz));
}

}  // namespace nnasim::hw
