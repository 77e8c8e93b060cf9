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
  int64_t acc_reads = 0, acc_writes = 0;  // accumulator entries (sim/hw/accumulator.h)
  int64_t ocm_read = 0, ocm_write = 0;
  int64_t dram_read = 0, dram_write = 0;
  double seconds = 0;
};

struct Breakdown {
  double mac = 0, lns = 0, vector = 0, accumulator = 0, ocm = 0, dram = 0, static_ = 0;
  double total() const { return mac + lns + vector + accumulator + ocm + dram + static_; }
  Breakdown& operator+=(const Breakdown& o);
};

// Throws InputError when the table has no MAC entry for the layer's format and widths.
Breakdown energy_of(const Actions& a, const HardwareSpec& hw);

// Energy of each kind of action (J): what energy_of() sums, and what the mapper calls to price a
// candidate. Writes are priced as writes, reads as reads.
// `macs` MACs of a format and widths on the linear array; throws InputError when the table has
// no entry for them.
double mac_joules(const HardwareSpec& hw, NumFormat f, int weight_bits, int act_bits, int64_t macs);
// `macs` log-domain multiplies, each also one linear accumulation of its converted product.
inline double lns_mac_joules(const HardwareSpec& hw, int64_t macs) {
  return double(macs) * (hw.energy.lns_add_j + hw.energy.lns_accumulate_j);
}
inline double lns_convert_joules(const HardwareSpec& hw, int64_t conversions) {
  return double(conversions) * hw.energy.lns_convert_j;
}
inline double vector_joules(const HardwareSpec& hw, int64_t ops) { return double(ops) * hw.energy.vector_op_j; }
inline double accumulator_read_joules(const HardwareSpec& hw, int64_t entries) {
  return double(entries) * hw.energy.accumulator_read_j;
}
inline double accumulator_write_joules(const HardwareSpec& hw, int64_t entries) {
  return double(entries) * hw.energy.accumulator_write_j;
}
inline double ocm_read_joules(const HardwareSpec& hw, int64_t bytes) {
  return double(bytes) * hw.energy.ocm_read_j_per_byte;
}
inline double ocm_write_joules(const HardwareSpec& hw, int64_t bytes) {
  return double(bytes) * hw.energy.ocm_write_j_per_byte;
}
inline double dram_read_joules(const HardwareSpec& hw, int64_t bytes) {
  return double(bytes) * hw.energy.dram_read_j_per_byte;
}
inline double dram_write_joules(const HardwareSpec& hw, int64_t bytes) {
  return double(bytes) * hw.energy.dram_write_j_per_byte;
}
// The configured static power plus every core's OCM leakage (which follows capacity unless pinned).
inline double static_joules(const HardwareSpec& hw, double seconds) { return seconds * hw.static_power_w(); }

}  // namespace nnasim::energy
