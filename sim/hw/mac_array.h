// The MAC array of one core: times each Compute tile with the systolic model (systolic.h),
// stretched when the operands are wider than the array's native width, and bounded by the OCM port
// that feeds it. Sync commands (layer boundaries) also run on this stream and take no time.
#pragma once
#include "sim/config/hw_spec.h"
#include "sim/hw/unit.h"

namespace nnasim::hw {

class MacArray : public UnitBase {
 public:
  MacArray(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb, Ocm& ocm);
  int64_t cycles(const program::Command& c) const;

 protected:
  void execute(const program::Command& c) override;

 private:
  const HardwareSpec& hw_;
};

}  // namespace nnasim::hw
