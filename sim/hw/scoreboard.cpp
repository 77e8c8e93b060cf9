#include "sim/hw/scoreboard.h"

namespace nnasim::hw {

Scoreboard::Scoreboard(const program::Program& p)
    : first_(p.cmds.size() + 1, 0), pending_(p.cmds.size(), 0), stream_(p.cmds.size(), nullptr), timing_(p.cmds.size()) {
  // Two passes (count, then place) instead of a vector per command: a large program has tens of
  // thousands of commands, and one allocation each was a tenth of a sweep point's simulation.
  for (uint32_t i = 0; i < p.cmds.size(); ++i)
    for (uint32_t d : p.cmds[i].deps) {
      ++first_[d + 1];
      ++pending_[i];
    }
  for (size_t i = 1; i < first_.size(); ++i) first_[i] += first_[i - 1];
  dependents_.resize(first_.back());
  std::vector<uint32_t> fill(first_.begin(), first_.end() - 1);
  for (uint32_t i = 0; i < p.cmds.size(); ++i)
    for (uint32_t d : p.cmds[i].deps) dependents_[fill[d]++] = i;
}

void Scoreboard::wait_ready(uint32_t id) {
  while (pending_[id] > 0) sc_core::wait(*stream_[id]);
}

void Scoreboard::started(uint32_t id) { timing_[id].start = sc_core::sc_time_stamp().to_seconds(); }

void Scoreboard::finished(uint32_t id) {
  timing_[id].end = sc_core::sc_time_stamp().to_seconds();
  ++done_;
  for (uint32_t e = first_[id]; e < first_[id + 1]; ++e) {
    const uint32_t d = dependents_[e];
    if (--pending_[d] == 0) stream_[d]->notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace nnasim::hw
