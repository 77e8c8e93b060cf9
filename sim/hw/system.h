// The whole chip: cores and the DRAM channel they share, executing one Program. simulate() is the
// entry point: it elaborates the SystemC model, runs it to completion and returns plain data.
// SystemC's kernel state (sc_simcontext) elaborates once; simulate() may be called once per process,
// unless the process calls allow_resimulation() first (a sweep worker, which runs many points):
// each later call then starts from a fresh kernel state.
#pragma once
#include <systemc>

#include <memory>
#include <vector>

#include "sim/hw/core.h"
#include "sim/hw/dram_channel.h"
#include "sim/hw/scoreboard.h"

namespace nnasim::hw {

struct SimResult {
  double seconds = 0;
  std::vector<CommandTiming> timing;  // per command
  std::vector<CoreStats> cores;
  DramStats dram;
  int64_t events = 0;  // commands executed
};

class System : public sc_core::sc_module {
 public:
  System(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog);
  ~System() override;
  SimResult result() const;
  const Scoreboard& scoreboard() const { return sb_; }

 private:
  Scoreboard sb_;
  SharedBandwidthDram dram_;
  std::vector<std::unique_ptr<Core>> cores_;
};

SimResult simulate(const HardwareSpec& hw, const program::Program& prog);

// Lets simulate() run again in this process. Each call after the first deletes the kernel state the
// previous one left (every module of that run is already destroyed) and lets SystemC make a new one,
// as at the start of a process: the same program then gives the same result, byte for byte
// (tests/test_resimulate.cpp).
void allow_resimulation();

// True when the last simulate() in this process ended with an exception: its kernel state may be
// in the middle of a run, and the process should not simulate again (a sweep worker then retires).
bool kernel_tainted();

}  // namespace nnasim::hw
