#include "sim/hw/core.h"

namespace nnasim::hw {

Core::Core(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb,
           DramChannel& dram, int64_t ocm_preload, int index)
    : sc_module(name),
      ocm_(std::string(this->name()) + ".ocm", hw.ocm, ocm_preload),
      mac_("mac_array", hw, prog, sb, ocm_, &dram, index),
      dma_("dma", hw, prog, sb, ocm_, dram, index),
      lns_("lns_unit", hw, prog, sb, ocm_),
      vec_("vector_unit", hw, prog, sb, ocm_) {}

void Core::enqueue(uint32_t id, program::Unit u) {
  switch (u) {
    case program::Unit::Mac: mac_.enqueue(id); break;
    case program::Unit::Dma: dma_.enqueue(id); break;
    case program::Unit::Lns: lns_.enqueue(id); break;
    case program::Unit::Vec: vec_.enqueue(id); break;
  }
}

CoreStats Core::stats() const {
  return {mac_.stats(), dma_.stats(), lns_.stats(), vec_.stats(), ocm_.stats(), mac_.accumulator()};
}

}  // namespace nnasim::hw
