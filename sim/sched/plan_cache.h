// Candidate lists kept across plans. The planner builds each layer's candidates in two stages
// (plan.cpp): stage 1 (splits, tilings, working sets, DRAM traffic, cycles, transfers) reads the
// hardware only through its geometry view; stage 2 adds the time and energy estimates from the
// full hardware. A sweep's points that differ only in what the geometry view leaves out (DRAM
// bandwidth, latency and efficiency, the clock, the DMA engine's rate and transfers in flight, the
// energy table) share stage 1: a PlanCache given to make_plan keeps it, keyed by the layer and the
// view's fingerprint, which covers every field of the view and of the planner's options. Plans made
// with or without a cache are the same (tests/test_plan_cache.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

// The hardware as stage 1 may read it: a copy whose left-out fields are NaN (numbers) or zero, so
// that stage 1 reading one of them shows as NaN estimates and changed plans, never as a silently
// wrong cache hit.
HardwareSpec geometry_view(const HardwareSpec& hw);

// Every field of a geometry view and of the options, as text: equal fingerprints give equal
// stage-1 candidates.
std::string geometry_fingerprint(const HardwareSpec& view, const SchedOptions& opt);

// What emit_program (scheduler.h) reads, as text: every field of the plan but its estimates (times
// and energies, which differ between points whose mappings are the same), and the hardware but for
// the DRAM bandwidth, the energy and technology figures (the emitter does not read them: a test
// emits the same plan at other values of each and compares). For one graph, equal fingerprints
// give equal programs, so a sweep worker emits a program once for the points of one model that
// share it (the graph is not in the fingerprint: the worker adds its model's key).
std::string emit_fingerprint(const Plan& plan, const HardwareSpec& hw);

// Stage 1 of one candidate (plan.cpp): all but the time and energy estimates.
struct RawCandidate {
  Split split = Split::Channels;
  Tiling t;
  int64_t ws = 0, dram = 0, ocm = 0, write_dram = 0;
  int active = 1;
  int64_t commands = 0;
  // layer_seconds' arguments: the compute time is cycles / clock x computes (computes is 1 for a
  // streaming tiling, whose cycles are the whole layer's on its busiest core).
  int64_t first_bytes = 0, cycles = 0, computes = 1, core_dram = 0, transfers = 0, last_bytes = 0;
  // Accumulator entries read and written (hw/accumulator.h), for the energy estimate.
  int64_t acc_reads = 0, acc_writes = 0;
};
using CandidateKey = std::vector<int64_t>;  // the layer's shape, bits, placement and core count
// A hash of a key's numbers (the lists are only looked up, never walked: their order is not used).
struct CandidateKeyHash {
  size_t operator()(const CandidateKey& k) const noexcept {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int64_t v : k) h = (h ^ uint64_t(v)) * 0x100000001b3ull, h ^= h >> 29;
    return size_t(h);
  }
};
template <typename V>
using CandidateMap = std::unordered_map<CandidateKey, V, CandidateKeyHash>;
using RawLists = CandidateMap<std::vector<RawCandidate>>;

class PlanCache {
 public:
  // Keeps the lists of the `views` fingerprints used last (a sweep visits one at a time).
  explicit PlanCache(size_t views = 2) : max_views_(views) {}
  RawLists& lists(const std::string& fingerprint);
  size_t views() const { return by_print_.size(); }

 private:
  size_t max_views_;
  std::list<std::pair<std::string, RawLists>> by_print_;  // most recently used first
};

// make_plan (plan.h) keeping stage 1 in `cache` (null: none).
Plan make_plan(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt, PlanCache* cache);

}  // namespace nnasim::sched
