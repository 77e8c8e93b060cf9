#include "sim/hw/unit.h"

#include <sysc/kernel/sc_dynamic_processes.h>

#include <fmt/format.h>

#include <algorithm>

namespace nnasim::hw {

UnitBase::UnitBase(sc_core::sc_module_name name, const program::Program& prog, Scoreboard& sb, Ocm& ocm, int lanes)
    : sc_module(name), ocm_(ocm), prog_(prog), sb_(sb), lanes_(lanes < 1 ? 1 : lanes) {
  SC_THREAD(run);
  if (lanes_ > 1) {
    SC_THREAD(run_background);
    for (int i = 0; i < lanes_ + bg_lanes(); ++i)
      sc_core::sc_spawn(sc_bind(&UnitBase::lane, this), fmt::format("lane{}", i).c_str());
  }
}

void UnitBase::begin(const program::Command& c) {
  ocm_.alloc(c.ocm_alloc);
  ocm_.read(c.ocm_read);
  ocm_.write(c.ocm_write);
}

void UnitBase::end(uint32_t id, const program::Command& c) {
  ocm_.free(c.ocm_free);
  ++stats_.commands;
  sb_.finished(id);
}

void UnitBase::run() {
  for (uint32_t id : queue_) {
    const program::Command& c = prog_.cmds[id];
    sb_.wait_ready(id);
    if (lanes_ > 1) {
      while (in_flight_ - bg_in_flight_ >= lanes_) sc_core::wait(lane_free_);
      start_on_lane(id);
      continue;
    }
    sb_.started(id);
    const double t0 = sc_core::sc_time_stamp().to_seconds();
    begin(c);
    execute(c);
    stats_.busy_seconds += sc_core::sc_time_stamp().to_seconds() - t0;
    end(id, c);
  }
}

void UnitBase::start_on_lane(uint32_t id) {
  sb_.started(id);
  // Busy time: while at least one command is in flight.
  if (in_flight_++ == 0) busy_since_ = sc_core::sc_time_stamp().to_seconds();
  begin(prog_.cmds[id]);
  handed_.push_back(id);
  work_.notify(sc_core::SC_ZERO_TIME);
}

void UnitBase::run_background() {
  for (uint32_t id : bg_queue_) {
    sb_.wait_ready(id);
    while (bg_in_flight_ >= bg_lanes()) sc_core::wait(lane_free_);
    ++bg_in_flight_;
    start_on_lane(id);
  }
}

void UnitBase::lane() {
  for (;;) {
    while (handed_.empty()) sc_core::wait(work_);
    const uint32_t id = handed_.front();
    handed_.pop_front();
    const program::Command& c = prog_.cmds[id];
    execute(c);
    if (c.background) --bg_in_flight_;
    if (--in_flight_ == 0) stats_.busy_seconds += sc_core::sc_time_stamp().to_seconds() - busy_since_;
    end(id, c);
    lane_free_.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace nnasim::hw
