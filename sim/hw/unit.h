// Common shape of a core's execution units (MAC array, DMA, LNS unit, vector unit): one SC_THREAD
// that takes its stream's commands in order, waits for their dependencies, applies their OCM
// allocation and traffic, and spends the time the concrete unit computes for them. No clock: a
// unit waits once per command for the computed duration.
// A unit with several lanes (a DMA engine with dma.outstanding transfers in flight) still starts
// its commands in stream order, but starts the next one as soon as its dependencies are met and a
// lane is free, without waiting for the one before it to finish. Its background commands
// (prefetches of later layers' weights) form a stream of their own, in order, on lanes of their
// own (half as many), so that they never hold up the others.
#pragma once
#include <systemc>

#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/hw/ocm.h"
#include "sim/hw/scoreboard.h"
#include "sim/hw/sim_time.h"
#include "sim/program/program.h"

namespace nnasim::hw {

// The duration of `cycles` at `clock_hz`, rounded up to SystemC's time resolution, so that a
// simulated time is never shorter than its cycle count (tests compare it with lower bounds);
// checked against the simulated-time limit like every other wait (sim_time.h).
inline sc_core::sc_time cycles_time(int64_t cycles, double clock_hz) {
  const double res = sc_core::sc_get_time_resolution().to_seconds();
  return sim_time(std::ceil(double(cycles) / clock_hz / res - 1e-9) * res);
}

struct UnitStats {
  int64_t commands = 0;
  int64_t ops = 0;          // MACs, conversions, element operations, or bytes moved
  double busy_seconds = 0;
};

class UnitBase : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(UnitBase);
  UnitBase(sc_core::sc_module_name name, const program::Program& prog, Scoreboard& sb, Ocm& ocm, int lanes = 1);
  void enqueue(uint32_t id) {
    if (lanes_ > 1 && prog_.cmds[id].background) {
      bg_queue_.push_back(id);
      sb_.bind(id, &bg_ready_);
      return;
    }
    queue_.push_back(id);
    sb_.bind(id, &ready_);
  }
  const UnitStats& stats() const { return stats_; }

 protected:
  // Performs one command, waiting for its duration.
  virtual void execute(const program::Command& c) = 0;
  UnitStats stats_;
  Ocm& ocm_;

 private:
  void run();
  void run_background();  // lanes > 1: the background stream
  void start_on_lane(uint32_t id);
  void lane();  // lanes > 1: performs the commands run() hands over
  void begin(const program::Command& c);
  void end(uint32_t id, const program::Command& c);
  const program::Program& prog_;
  Scoreboard& sb_;
  std::vector<uint32_t> queue_, bg_queue_;
  sc_core::sc_event ready_, bg_ready_;  // fire when the head command's last dependency finishes
  int lanes_ = 1;
  int bg_lanes() const { return lanes_ / 2 > 1 ? lanes_ / 2 : 1; }
  int in_flight_ = 0;  // all commands in flight, background ones included
  int bg_in_flight_ = 0;
  double busy_since_ = 0;
  std::deque<uint32_t> handed_;  // started, waiting for a lane
  sc_core::sc_event work_, lane_free_;
};

}  // namespace nnasim::hw
