// The MAC array of one core: times each Compute tile with the systolic model (systolic.h),
// stretched when the operands are wider than the array's native width, and bounded by the OCM port
// that feeds it and by its accumulator memory. It counts the accumulator's reads and writes and
// the partial sums spilled to OCM (accumulator.h): the spill occupies OCM for the tile and moves
// through the OCM port. Sync commands (layer boundaries) also run on this stream and take no time.
#pragma once
#include "sim/config/hw_spec.h"
#include "sim/hw/dram_channel.h"
#include "sim/hw/unit.h"

namespace nnasim::hw {

// What the accumulator memory beside the array did (sim/hw/accumulator.h).
struct AccumulatorStats {
  int64_t reads = 0, writes = 0;  // partial-sum entries
  int64_t spill_bytes = 0;        // partial sums written to OCM and read back (each way)
};

class MacArray : public UnitBase {
 public:
  // `dram`, `core`: a Sync tells the channel that this core reached its layer, so that the
  // layer's weight prefetches still in flight stop being background transfers.
  MacArray(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog, Scoreboard& sb, Ocm& ocm,
           DramChannel* dram = nullptr, int core = 0);
  int64_t cycles(const program::Command& c) const;
  const AccumulatorStats& accumulator() const { return acc_; }

 protected:
  void execute(const program::Command& c) override;

 private:
  const HardwareSpec& hw_;
  AccumulatorStats acc_;
  DramChannel* dram_ = nullptr;
  int core_ = 0;
};

}  // namespace nnasim::hw
