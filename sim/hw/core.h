// One NNA core: its OCM and the four execution units that share it.
#pragma once
#include <systemc>

#include "sim/hw/dma.h"
#include "sim/hw/lns_unit.h"
#include "sim/hw/mac_array.h"
#include "sim/hw/ocm.h"
#include "sim/hw/vector_unit.h"

namespace nnasim::hw {

struct CoreStats {
  UnitStats mac, dma, lns, vec;
  OcmStats ocm;
  AccumulatorStats acc;
};

class Core : public sc_core::sc_module {
 public:
  Core(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb,
       DramChannel& dram, int64_t ocm_preload, int index);
  // Routes a command to the unit whose stream it belongs to.
  void enqueue(uint32_t id, program::Unit u);
  CoreStats stats() const;

 private:
  Ocm ocm_;
  MacArray mac_;
  Dma dma_;
  LnsUnit lns_;
  VectorUnit vec_;
};

}  // namespace nnasim::hw
