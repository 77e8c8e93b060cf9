#include "sim/hw/mac_array.h"
#include "sim/hw/sim_time.h"

#include "sim/hw/systolic.h"

namespace nnasim::hw {

MacArray::MacArray(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb,
                   Ocm& ocm, DramChannel* dram, int core)
    : UnitBase(name, prog, sb, ocm), hw_(hw), dram_(dram), core_(core) {}

int64_t MacArray::cycles(const program::Command& c) const {
  return mac_tile_cycles(hw_, c.gemm, c.format, c.weight_bits, c.act_bits, c.ocm_read + c.ocm_write);
}

void MacArray::execute(const program::Command& c) {
  if (c.kind == program::Kind::Sync && dram_) dram_->layer_reached(core_, c.layer);
  if (c.kind != program::Kind::Compute) return;  // Sync
  stats_.ops += c.ops;
  const AccumulatorUse u = accumulator_use(hw_.mac, c.gemm);
  acc_.reads += u.reads;
  acc_.writes += u.writes;
  acc_.spill_bytes += u.spill_bytes;
  const int64_t held = u.spill_entries * accumulator_entry_bytes(hw_.mac);
  ocm_.alloc(held);
  ocm_.write(u.spill_bytes);
  ocm_.read(u.spill_bytes);
  sc_core::wait(cycles_time(cycles(c), hw_.clock_hz));
  ocm_.free(held);
}

}  // namespace nnasim::hw
