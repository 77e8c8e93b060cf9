#include "sim/energy/energy_model.h"

#include <fmt/format.h>

#include "sim/common/error.h"

namespace nnasim::energy {

Breakdown& Breakdown::operator+=(const Breakdown& o) {
  mac += o.mac, lns += o.lns, vector += o.vector, accumulator += o.accumulator, ocm += o.ocm, dram += o.dram, static_ += o.static_;
  return *this;
}

double mac_joules(const HardwareSpec& hw, NumFormat f, int weight_bits, int act_bits, int64_t macs) {
  if (macs <= 0) return 0;
  const double per = hw.mac_energy(f, weight_bits, act_bits);
  if (per < 0)
    throw InputError({hw.file, 0}, fmt::format("energy.mac has no entry for {} MACs of {}-bit weights and {}-bit "
                                               "activations", to_string(f), weight_bits, act_bits));
  return double(macs) * per;
}

Breakdown energy_of(const Actions& a, const HardwareSpec& hw) {
  Breakdown b;
  b.mac = mac_joules(hw, a.format, a.weight_bits, a.act_bits, a.macs);
  b.lns = lns_mac_joules(hw, a.lns_macs) + lns_convert_joules(hw, a.lns_conversions);
  b.vector = vector_joules(hw, a.vector_ops);
  b.accumulator = accumulator_read_joules(hw, a.acc_reads) + accumulator_write_joules(hw, a.acc_writes);
  b.ocm = ocm_read_joules(hw, a.ocm_read) + ocm_write_joules(hw, a.ocm_write);
  b.dram = dram_read_joules(hw, a.dram_read) + dram_write_joules(hw, a.dram_write);
  b.static_ = static_joules(hw, a.seconds);
  return b;
}

}  // namespace nnasim::energy
