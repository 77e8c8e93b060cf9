// One layer's tilings, priced: stage 1 (every split and tiling with its working set, traffic and
// the arguments of its estimates, kept across plans in a PlanCache, plan_cache.h) and stage 2 (the
// time and energy estimates on this hardware, and the candidates some budget and objective could
// choose), and the choice of one within an OCM budget. make_plan (plan.cpp) decides residency and
// asks these for each layer.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/hw/dram_share.h"
#include "sim/sched/layer_cost.h"
#include "sim/sched/plan.h"
#include "sim/sched/plan_cache.h"

namespace nnasim::sched {

struct Choice {
  bool ok = false;
  Split split = Split::Channels;
  Tiling t;
  int64_t ws = 0;
  int64_t commands = 0;  // per core: compute commands (events to simulate)
};

// Each command to simulate weighs this fraction of an objective's value, in a layer's choice of
// tiling and in the choice among whole plans: a sliver of estimated time is not bought with many
// times the events to simulate (SCALE-Sim's ResNet-50 at 192 KiB, steady: 0.07 % of estimated
// time for 6.5x the commands).
constexpr double kPerCommand = 1e-7;

// Per-core DRAM rate when `active` cores stream at once: the channel's max-min sharing law.
inline double core_bandwidth(const HardwareSpec& hw, int active) { return hw::core_dram_rate(hw, active); }


struct Candidate {
  Split split;
  Tiling t;
  int64_t ws, dram;
  double secs;
  int64_t ocm = 0;      // estimated OCM bytes moved (all cores)
  double joules = 0;    // estimated energy (energy model on the estimated actions)
  int active = 1;
  int64_t commands = 0;  // per core: compute commands (events to simulate)
};

// Candidate lists depend only on the layer, its streamed weights and where its tensors live; the
// planner asks for the same ones many times (each residency policy and weight budget), so they
// are computed once per process of planning.
// Keyed by the layer's shape rather than its index: networks repeat blocks, and a layer of the same
// shape, bits and placement has the same candidates.
// Per plan: the finished candidate lists by key; the geometry view of the hardware; the lists of
// stage 1 kept across plans (when the caller gives a PlanCache) under this view's fingerprint.
struct CandidateCache {
  CandidateMap<std::vector<Candidate>> lists;
  HardwareSpec geometry;
  RawLists* raw = nullptr;  // in the PlanCache, or null
};

struct LayerCtx {
  const HardwareSpec& hw;
  const SchedOptions& opt;
  LayerGeo geo;
  int64_t streamed_w = 0;
  std::vector<bool> in_on_chip;
  bool out_on_chip = false;
  int layer = 0;
  CandidateCache* cache = nullptr;
  bool weights_replicated = false;  // resident weights held whole on every core (row-split layers)
};


// Every split and tiling of a layer with its working set, DRAM traffic and estimates: the ones
// stage 2 keeps, in order of working set.
const std::vector<Candidate>& candidates(const LayerCtx& c, int cores);
Choice make_choice(const Candidate& k);
// The value `o` minimises: time, energy, or their product.
double objective_value(Objective o, double secs, double joules);
// The best candidate by the objective within `free_bytes` of working set (ok false when none fits).
Choice choose_tiling(const LayerCtx& c, int cores, int64_t free_bytes);
// The smallest working set of any tiling (ok is false only for an empty candidate list).
Choice smallest_tiling(const LayerCtx& c, int cores);
// The smallest working set that still runs the layer within efficient_slack of its best time in
// `cap` bytes: what the planner reserves next to resident activations.
int64_t efficient_ws(const LayerCtx& c, int cores, int64_t cap);

}  // namespace nnasim::sched
