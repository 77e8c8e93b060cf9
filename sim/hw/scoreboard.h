// Dependency tracking for a Program: each command waits until the commands it depends on have
// finished. Built once at elaboration (reverse edges, counters); O(1) per completion edge. A unit
// only ever waits for the command at the head of its stream, so one event per stream suffices:
// when a command's last dependency finishes, the event of the stream that owns it fires.
#pragma once
#include <systemc>

#include <vector>

#include "sim/program/program.h"

namespace nnasim::hw {

struct CommandTiming {
  double start = -1;
  double end = -1;
};

class Scoreboard {
 public:
  explicit Scoreboard(const program::Program& p);
  // Gives a command's stream; `ready` is that stream's event (owned by the unit).
  void bind(uint32_t id, sc_core::sc_event* ready) { stream_[id] = ready; }
  void wait_ready(uint32_t id);   // from the SC_THREAD of the command's stream
  void started(uint32_t id);
  void finished(uint32_t id);
  const std::vector<CommandTiming>& timing() const { return timing_; }
  bool all_done() const { return done_ == timing_.size(); }

 private:
  // Reverse edges in compressed rows: the dependents of command i are
  // dependents_[first_[i] .. first_[i + 1]), in the order the program lists them.
  std::vector<uint32_t> first_, dependents_;
  std::vector<uint32_t> pending_;
  std::vector<sc_core::sc_event*> stream_;
  std::vector<CommandTiming> timing_;
  size_t done_ = 0;
};

}  // namespace nnasim::hw
