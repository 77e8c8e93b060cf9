// The whole chip: cores and the DRAM channel they share, executing one Program. simulate() is the
// entry point: it elaborates the SystemC model once, runs it to completion and returns plain data.
// SystemC allows one elaboration per process, so simulate() may be called once per process.
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
  const program::Program& prog_;
  Scoreboard sb_;
  SharedBandwidthDram dram_;
  std::vector<std::unique_ptr<Core>> cores_;
};

SimResult simulate(const HardwareSpec& hw, const program::Program& prog);

}  // namespace nnasim::hw
