#include "sim/hw/scoreboard.h"

namespace nnasim::hw {

Scoreboard::Scoreboard(const program::Program& p)
    : dependents_(p.cmds.size()), pending_(p.cmds.size(), 0), stream_(p.cmds.size(), nullptr), timing_(p.cmds.size()) {
  for (uint32_t i = 0; i < p.cmds.size(); ++i)
    for (uint32_t d : p.cmds[i].deps) {
      dependents_[d].push_back(i);
      ++pending_[i];
    }
}

void Scoreboard::wait_ready(uint32_t id) {
  while (pending_[id] > 0) sc_core::wait(*stream_[id]);
}

void Scoreboard::started(uint32_t id) { timing_[id].start = sc_core::sc_time_stamp().to_seconds(); }

void Scoreboard::finished(uint32_t id) {
  timing_[id].end = sc_core::sc_time_stamp().to_seconds();
  ++done_;
  for (uint32_t d : dependents_[id])
    if (--pending_[d] == 0) stream_[d]->notify(sc_core::SC_ZERO_TIME);
}

}  // namespace nnasim::hw
