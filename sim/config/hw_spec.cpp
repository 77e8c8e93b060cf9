#include "sim/config/hw_spec.h"

namespace nnasim {

const char* to_string(NumFormat f) {
  switch (f) {
    case NumFormat::Int: return "int";
    case NumFormat::Fp8E4M3: return "fp8-e4m3";
    case NumFormat::Fp8E5M2: return "fp8-e5m2";
    case NumFormat::Lns: return "lns";
  }
  return "?";
}

bool parse_num_format(const std::string& s, NumFormat* out) {
  static const std::pair<const char*, NumFormat> table[] = {
      {"int", NumFormat::Int}, {"fp8-e4m3", NumFormat::Fp8E4M3}, {"fp8-e5m2", NumFormat::Fp8E5M2}, {"lns", NumFormat::Lns}};
  for (const auto& [n, f] : table)
    if (s == n) {
      *out = f;
      return true;
    }
  return false;
}

const char* to_string(Dataflow d) {
  return d == Dataflow::WeightStationary ? "weight_stationary" : "output_stationary";
}

const char* to_string(WeightPreload p) { return p == WeightPreload::Serial ? "serial" : "overlapped"; }
const char* to_string(OsDrain d) { return d == OsDrain::Paper ? "paper" : "scalesim"; }
const char* to_string(GroupMapping g) {
  return g == GroupMapping::BlockDiagonal ? "block_diagonal" : "group_per_column";
}

int64_t HardwareSpec::macs_per_cycle(NumFormat f, int wb, int ab) const {
  const ThroughputEntry* best = nullptr;
  for (const auto& e : mac.throughput) {
    if (e.format != f || e.weight_bits < wb || e.act_bits < ab) continue;
    if (!best || e.weight_bits * e.act_bits < best->weight_bits * best->act_bits) best = &e;
  }
  return best ? best->macs_per_cycle : 0;
}

double HardwareSpec::mac_energy(NumFormat f, int wb, int ab) const {
  const MacEnergyEntry* best = nullptr;
  for (const auto& e : energy.mac) {
    if (e.format != f || e.weight_bits < wb || e.act_bits < ab) continue;
    if (!best || e.weight_bits * e.act_bits < best->weight_bits * best->act_bits) best = &e;
  }
  return best ? best->joules : -1.0;
}

double HardwareSpec::mac_area(NumFormat f, int wb, int ab) const {
  const MacAreaEntry* best = nullptr;
  for (const auto& e : area.mac) {
    if (e.format != f || e.weight_bits < wb || e.act_bits < ab) continue;
    if (!best || e.weight_bits * e.act_bits < best->weight_bits * best->act_bits) best = &e;
  }
  return best ? best->mm2 : -1.0;
}

}  // namespace nnasim
