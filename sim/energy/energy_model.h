// Energy = sum over actions of (count x energy per action from the hardware table) + static power
// x time. Actions are counted per layer by the simulation; this model only multiplies, so a test
// can recompute every figure from the counters and the table.
#pragma once
#include <cstdint>

#include "sim/config/hw_spec.h"

namespace nnasim::energy {

// What one layer did.
struct Actions {
  int64_t macs = 0;             // on the linear (int/fp8) array
  NumFormat format = NumFormat::Int;
  int weight_bits = 8, act_bits = 8;
  int64_t lns_macs = 0;         // log-domain multiplies (each also one linear accumulation)
  int64_t lns_conversions = 0;
  int64_t vector_ops = 0;
  int64_t ocm_read = 0, ocm_write = 0;
  int64_t dram_read = 0, dram_write = 0;
  double seconds = 0;
};

struct Breakdown {
  double mac = 0, lns = 0, vector = 0, ocm = 0, dram = 0, static_ = 0;
  double total() const { return mac + lns + vector + ocm + dram + static_; }
  Breakdown& operator+=(const Breakdown& o);
};

// Throws InputError when the table has no MAC entry for the layer's format and widths.
Breakdown energy_of(const Actions& a, const HardwareSpec& hw);

}  // namespace nnasim::energy
