// On-chip memory of one core: capacity, port bandwidth and access counters. The scheduler plans
// what lives here; this module checks the plan as it executes: a Program that overfills OCM is a
// scheduler bug and raises an InternalError.
#pragma once
#include <cstdint>
#include <string>

#include "sim/config/hw_spec.h"

namespace nnasim::hw {

struct OcmStats {
  int64_t read_bytes = 0;
  int64_t write_bytes = 0;
  int64_t peak_bytes = 0;  // highest occupancy seen
};

class Ocm {
 public:
  Ocm(std::string name, const OcmSpec& spec, int64_t preload);
  void alloc(int64_t bytes);
  void free(int64_t bytes);
  void read(int64_t bytes) { stats_.read_bytes += bytes; }
  void write(int64_t bytes) { stats_.write_bytes += bytes; }
  int64_t used() const { return used_; }
  const OcmStats& stats() const { return stats_; }

 private:
  std::string name_;
  int64_t capacity_;
  int64_t used_;
  OcmStats stats_;
};

}  // namespace nnasim::hw
