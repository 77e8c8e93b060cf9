// A core's LNS conversion unit: log<->linear conversions for layers in the logarithmic number
// system (every product of an LNS MAC array goes to linear for accumulation; every result goes
// back to log). Conversions per cycle and pipeline latency come from the hardware description;
// the same LnsSpec drives the functional converter in sim/numeric, so cost and error share one
// description.
#pragma once
#include "sim/hw/unit.h"

namespace nnasim::hw {

class LnsUnit : public UnitBase {
 public:
  LnsUnit(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb, Ocm& ocm);
  int64_t cycles(int64_t conversions) const;

 protected:
  void execute(const program::Command& c) override;

 private:
  const HardwareSpec& hw_;
};

}  // namespace nnasim::hw
