// A core's element-wise unit: pooling, additions, concatenation copies and activations that could
// not be fused into a MAC layer's output.
#pragma once
#include "sim/hw/unit.h"

namespace nnasim::hw {

class VectorUnit : public UnitBase {
 public:
  VectorUnit(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb,
             Ocm& ocm);
  int64_t cycles(const program::Command& c) const;

 protected:
  void execute(const program::Command& c) override;

 private:
  const HardwareSpec& hw_;
};

}  // namespace nnasim::hw
