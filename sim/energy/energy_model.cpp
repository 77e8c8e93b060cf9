#include "sim/energy/energy_model.h"

#include <fmt/format.h>

#include "sim/common/error.h"

namespace nnasim::energy {

Breakdown& Breakdown::operator+=(const Breakdown& o) {
  mac += o.mac, lns += o.lns, vector += o.vector, ocm += o.ocm, dram += o.dram, static_ += o.static_;
  return *this;
}

Breakdown energy_of(const Actions& a, const HardwareSpec& hw) {
  const EnergySpec& e = hw.energy;
  Breakdown b;
  if (a.macs > 0) {
    double per = hw.mac_energy(a.format, a.weight_bits, a.act_bits);
    if (per < 0)
      throw InputError({hw.file, 0}, fmt::format("energy.mac has no entry for {} MACs of {}-bit weights and {}-bit "
                                                 "activations", to_string(a.format), a.weight_bits, a.act_bits));
    b.mac = double(a.macs) * per;
  }
  b.lns = double(a.lns_macs) * (e.lns_add_j + e.lns_accumulate_j) + double(a.lns_conversions) * e.lns_convert_j;
  b.vector = double(a.vector_ops) * e.vector_op_j;
  b.ocm = double(a.ocm_read) * e.ocm_read_j_per_byte + double(a.ocm_write) * e.ocm_write_j_per_byte;
  b.dram = double(a.dram_read) * e.dram_read_j_per_byte + double(a.dram_write) * e.dram_write_j_per_byte;
  b.static_ = a.seconds * hw.static_power_w();  // the configured static power and the OCMs' leakage
  return b;
}

}  // namespace nnasim::energy
