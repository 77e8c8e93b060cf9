#include "sim/hw/system.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "sim/common/error.h"
#include "sim/hw/sim_time.h"

namespace nnasim::hw {

System::System(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog)
    : sc_module(name), prog_(prog), sb_(prog), dram_("dram", hw.dram) {
  for (int c = 0; c < hw.cores; ++c)
    cores_.push_back(std::make_unique<Core>(fmt::format("core{}", c).c_str(), hw, prog, sb_, dram_, prog.ocm_preload, c));
  for (uint32_t i = 0; i < prog.cmds.size(); ++i) {
    const auto& c = prog.cmds[i];
    if (c.core < 0 || c.core >= hw.cores) throw InternalError("program names a core the hardware does not have");
    cores_[c.core]->enqueue(i, program::unit_of(c.kind));
  }
}

System::~System() = default;

SimResult System::result() const {
  SimResult r;
  r.timing = sb_.timing();
  for (const auto& t : r.timing) r.seconds = std::max(r.seconds, t.end);
  for (const auto& c : cores_) r.cores.push_back(c->stats());
  r.dram = dram_.stats();
  r.events = static_cast<int64_t>(r.timing.size());
  return r;
}

SimResult simulate(const HardwareSpec& hw, const program::Program& prog) {
  static bool elaborated = false;
  if (elaborated) throw InternalError("simulate() called twice: SystemC elaborates once per process");
  elaborated = true;
  sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
  System sys("nna", hw, prog);
  sc_core::sc_start(sc_core::sc_time(kMaxSimSeconds, sc_core::SC_SEC), sc_core::SC_EXIT_ON_STARVATION);
  if (sim_time_overflow() || (!sys.scoreboard().all_done() && sc_core::sc_pending_activity()))
    throw InputError({hw.file, 0}, fmt::format("the simulated inference would take more than {:g} s on {}: expected "
                                               "a faster clock, more bandwidth or a smaller model", kMaxSimSeconds,
                                               hw.name));
  if (!sys.scoreboard().all_done())
    throw InternalError("the program deadlocked: some commands never became ready (a dependency cycle)");
  SimResult r = sys.result();
  return r;
}

}  // namespace nnasim::hw

// libsystemc.so carries a main() that calls sc_main(); nnasim's executables have their own main()
// (CLI11, Catch2) and call simulate() instead, but the shared library still needs the symbol.
int sc_main(int, char**) { return 0; }
