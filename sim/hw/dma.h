// A core's DMA engine: moves tiles between DRAM and OCM through the shared DramChannel, at most
// dma.bytes_per_cycle. Runs ahead of the MAC array as far as the Program's buffer dependencies
// allow (double buffering).
#pragma once
#include "sim/hw/dram_channel.h"
#include "sim/hw/unit.h"

namespace nnasim::hw {

class Dma : public UnitBase {
 public:
  Dma(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb, Ocm& ocm,
      DramChannel& dram, int core);

 protected:
  void execute(const program::Command& c) override;

 private:
  DramChannel& dram_;
  double rate_;
  int core_;
};

}  // namespace nnasim::hw
