// Dependency tracking for a Program: each command waits until the commands it depends on have
// finished. Built once at elaboration (reverse edges, counters); O(1) per completion edge.
#pragma once
#include <systemc>

#include <deque>
#include <vector>

#include "sim/sched/program.h"

namespace nnasim::hw {

struct CommandTiming {
  double start = -1;
  double end = -1;
};

class Scoreboard {
 public:
  explicit Scoreboard(const sched::Program& p);
  void wait_ready(uint32_t id);   // from an SC_THREAD
  void started(uint32_t id);
  void finished(uint32_t id);
  const std::vector<CommandTiming>& timing() const { return timing_; }
  bool all_done() const { return done_ == timing_.size(); }

 private:
  std::vector<std::vector<uint32_t>> dependents_;
  std::vector<uint32_t> pending_;
  std::deque<sc_core::sc_event> ready_;
  std::vector<CommandTiming> timing_;
  size_t done_ = 0;
};

}  // namespace nnasim::hw
