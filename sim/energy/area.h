// Chip area per component and in total, from the hardware's area table (45 nm figures with their
// sources in the YAML, scaled by technology.area_scale) and the OCM's capacity.
//
//   MAC array  = max over the array's throughput entries of macs_per_cycle x area of one MAC unit
//                covering those widths (a reconfigurable array is as large as its largest mode)
//   OCM        = size x 8 x area per SRAM bit (with its periphery)
//   accumulator = mac_array.accumulator.size x 8 x the same area per SRAM bit (none when unbounded)
//   LNS unit   = conversions_per_cycle x area per conversion lane
//   vector     = elements_per_cycle x area per lane
//   DMA        = one engine
//   other      = per core, as configured
// Each per core, times the number of cores; the DRAM is off chip and not counted.
#pragma once
#include <optional>

#include "sim/config/hw_spec.h"

namespace nnasim::energy {

struct Area {
  double mac = 0, ocm = 0, lns = 0, vector = 0, dma = 0, other = 0;  // mm^2, whole chip
  double accumulator = 0;
  double total() const { return mac + accumulator + ocm + lns + vector + dma + other; }
};

// Nothing when the hardware has no area table.
std::optional<Area> area_of(const HardwareSpec& hw);

// Peak tera-operations per second (2 per MAC) of the whole chip at its widest throughput entry.
double peak_tops(const HardwareSpec& hw);

}  // namespace nnasim::energy
