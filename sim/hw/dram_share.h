// The DRAM channel's bandwidth-sharing law, shared by the DramChannel module (which re-applies it
// whenever a transfer starts or ends) and the mapper (which estimates what a core will see). Pure
// functions, no SystemC.
//
// Requesters (one per core's DMA engine) share the channel's peak max-min fairly ("water-filling"):
// a requester whose cap (its DMA engine's rate) is below an equal share of what is left gets its
// cap; the others split the rest equally. A requester with several transfers in flight
// (dma.outstanding > 1) splits its rate equally among them.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "sim/config/hw_spec.h"

namespace nnasim::hw {

// The channel's achievable peak (bytes/s): bandwidth x efficiency.
inline double dram_peak(const HardwareSpec& hw) { return hw.dram.bandwidth * hw.dram.efficiency; }

// The most one core's DMA engine moves (bytes/s).
inline double dma_rate(const HardwareSpec& hw) { return hw.dma.bytes_per_cycle * hw.clock_hz; }

// Max-min fair rates: rates[i] for the requester whose cap is caps[i], all sharing `peak`. The
// order of requesters does not change anyone's rate; ties break by position (stable), so the
// result is deterministic. rates.size() == caps.size().
inline std::vector<double> max_min_rates(double peak, const std::vector<double>& caps) {
  std::vector<size_t> order(caps.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return caps[a] < caps[b]; });
  std::vector<double> rates(caps.size(), 0.0);
  double left = peak;
  const size_t n = order.size();
  for (size_t i = 0; i < n; ++i) {
    const double fair = left / double(n - i);
    rates[order[i]] = std::min(caps[order[i]], fair);
    left -= rates[order[i]];
  }
  return rates;
}

// The rate each of `active` identical requesters (each capped at `cap`) gets: min(cap, peak / n).
inline double equal_share_rate(double peak, int active, double cap) {
  if (active <= 0) return std::min(cap, peak);
  return std::min(cap, peak / double(active));
}

// What one core sees when `active_cores` cores stream at once on this hardware (bytes/s).
inline double core_dram_rate(const HardwareSpec& hw, int active_cores) {
  return equal_share_rate(dram_peak(hw), active_cores, dma_rate(hw));
}

}  // namespace nnasim::hw
