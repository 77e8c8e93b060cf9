#include "sim/energy/area.h"

#include <algorithm>

namespace nnasim::energy {

std::optional<Area> area_of(const HardwareSpec& hw) {
  if (!hw.area.present) return std::nullopt;
  const AreaSpec& a = hw.area;
  const double s = hw.technology.area_scale;
  Area per_core;
  for (const auto& t : hw.mac.throughput) {
    // LNS arrays: an LNS entry in the area table (Johnson 2018: 1.12x an INT8/32 MAC) if present.
    double unit = hw.mac_area(t.format, t.weight_bits, t.act_bits);
    if (unit < 0) continue;  // the parser checked every entry is covered
    per_core.mac = std::max(per_core.mac, double(t.macs_per_cycle) * unit * s);
  }
  per_core.ocm = hw.ocm.size_bytes * 8.0 * a.sram_bit_mm2 * s;
  per_core.accumulator = hw.mac.accumulator.size_bytes * 8.0 * a.sram_bit_mm2 * s;
  per_core.lns = hw.lns.conversions_per_cycle * a.lns_lane_mm2 * s;
  per_core.vector = hw.vector.elements_per_cycle * a.vector_lane_mm2 * s;
  per_core.dma = a.dma_mm2 * s;
  per_core.other = a.other_mm2 * s;
  const double n = hw.cores;
  Area chip;
  chip.mac = per_core.mac * n, chip.ocm = per_core.ocm * n, chip.lns = per_core.lns * n;
  chip.accumulator = per_core.accumulator * n;
  chip.vector = per_core.vector * n, chip.dma = per_core.dma * n, chip.other = per_core.other * n;
  return chip;
}

double peak_tops(const HardwareSpec& hw) {
  int64_t peak = 0;
  for (const auto& e : hw.mac.throughput) peak = std::max(peak, e.macs_per_cycle);
  return 2.0 * double(peak) * hw.clock_hz * hw.cores / 1e12;
}

}  // namespace nnasim::energy
