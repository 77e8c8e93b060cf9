#include "sim/hw/system.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "sim/common/error.h"
#include "sim/hw/sim_time.h"

namespace nnasim::hw {

System::System(sc_core::sc_module_name name, const HardwareSpec& hw, const program::Program& prog)
    : sc_module(name), sb_(prog), dram_("dram", hw.dram) {
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

namespace {
bool rerun_allowed = false;
int runs = 0;
bool tainted = false;

// The kernel state made when the process started (SystemC's static events, sc_event::none and
// sc_process_handle's non_event, belong to it and reach it again from their destructors at exit).
sc_core::sc_simcontext* first_kernel = nullptr;

// The kernel state of the previous run goes; sc_get_curr_simcontext() makes a new one on first use,
// as it does at the start of a process. The first one is left in place, unused, for the static
// events' destructors; every later one is deleted.
void fresh_kernel() {
  sc_core::sc_simcontext* old = sc_core::sc_curr_simcontext;
  sc_core::sc_curr_simcontext = nullptr;
  sc_core::sc_default_global_context = nullptr;
  if (old != first_kernel) delete old;
}
}  // namespace

void allow_resimulation() { rerun_allowed = true; }
bool kernel_tainted() { return tainted; }

SimResult simulate(const HardwareSpec& hw, const program::Program& prog) {
  if (runs == 0) first_kernel = sc_core::sc_get_curr_simcontext();
  if (runs > 0) {
    if (!rerun_allowed) throw InternalError("simulate() called twice: SystemC elaborates once per process");
    if (tainted) throw InternalError("simulate() called again after a simulation that failed");
    fresh_kernel();
  }
  ++runs;
  tainted = true;  // until this run returns normally
  sim_time_overflow() = false;
  // SystemC's informational reports (sc_stop's "Simulation stopped by user" when a run passes the
  // time limit) would go to stdout, into a JSON report or a sweep row: the limit is reported as
  // an input error instead.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
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
  tainted = false;
  return r;
}

}  // namespace nnasim::hw

// libsystemc.so carries a main() that calls sc_main(); nnasim's executables have their own main()
// (CLI11, Catch2) and call simulate() instead, but the shared library still needs the symbol.
int sc_main(int, char**) { return 0; }
