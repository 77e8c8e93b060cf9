#include "sim/hw/lns_unit.h"
#include "sim/hw/sim_time.h"

#include <cmath>

#include "sim/common/error.h"

namespace nnasim::hw {

LnsUnit::LnsUnit(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb,
                 Ocm& ocm)
    : UnitBase(name, prog, sb, ocm), hw_(hw) {}

int64_t LnsUnit::cycles(int64_t conversions) const {
  if (hw_.lns.conversions_per_cycle <= 0) throw InternalError("LNS conversion on hardware without an LNS unit");
  return hw_.lns.latency_cycles + static_cast<int64_t>(std::ceil(double(conversions) / hw_.lns.conversions_per_cycle));
}

void LnsUnit::execute(const program::Command& c) {
  stats_.ops += c.ops;
  sc_core::wait(cycles_time(cycles(c.ops), hw_.clock_hz));
}

}  // namespace nnasim::hw
