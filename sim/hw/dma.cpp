#include "sim/hw/dma.h"

#include "sim/hw/dram_share.h"

namespace nnasim::hw {

Dma::Dma(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb, Ocm& ocm,
         DramChannel& dram, int core)
    : UnitBase(name, prog, sb, ocm, hw.dma.outstanding), dram_(dram), rate_(dma_rate(hw)), core_(core) {}

void Dma::execute(const program::Command& c) {
  stats_.ops += c.dram_bytes;
  dram_.transfer(c.dram_bytes, c.kind == program::Kind::Store, core_, rate_, c.background, c.layer);
}

}  // namespace nnasim::hw
