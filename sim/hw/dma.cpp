#include "sim/hw/dma.h"

namespace nnasim::hw {

Dma::Dma(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb, Ocm& ocm,
         DramChannel& dram)
    : UnitBase(name, prog, sb, ocm), dram_(dram), rate_(hw.dma.bytes_per_cycle * hw.clock_hz) {}

void Dma::execute(const program::Command& c) {
  stats_.ops += c.dram_bytes;
  dram_.transfer(c.dram_bytes, c.kind == program::Kind::Store, rate_);
}

}  // namespace nnasim::hw
