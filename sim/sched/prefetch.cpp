#include "sim/sched/prefetch.h"

#include <algorithm>

#include "sim/common/error.h"
#include "sim/hw/accumulator.h"

namespace nnasim::sched {
namespace {

using program::Command;
using program::Kind;
using program::Unit;
using program::unit_of;

constexpr uint32_t kNone = UINT32_MAX;

// The span of one layer on one core: from its first Sync (the start) to its last (the end).
struct Region {
  int layer = 0;
  uint32_t start = kNone, end = kNone;
  int64_t peak = 0;            // OCM allocated on this core while the layer runs (stream order)
  int64_t spill = 0;           // the most partial sums one of its computes spills to OCM
  std::vector<uint32_t> dma;   // the DMA commands issued in this span
};

}  // namespace

PrefetchStats prefetch_weights(program::Program& prog, const HardwareSpec& hw, const Plan& plan) {
  PrefetchStats stats;
  const int n = prog.cores;
  const size_t N = prog.cmds.size();
  const size_t L = prog.layers.size();
  const int64_t cap = static_cast<int64_t>(hw.ocm.size_bytes);

  // Walk each core's commands in stream order: regions, their OCM peaks, their DMA commands, the
  // DRAM bytes of each layer (all cores), and the weight loads that could move.
  std::vector<std::vector<Region>> regions(n);
  std::vector<std::vector<int>> region_of(n, std::vector<int>(L, -1));
  std::vector<std::vector<std::pair<int, uint32_t>>> candidates(n);  // (region, command)
  std::vector<int64_t> occ(n, prog.ocm_preload);
  std::vector<int> cur(n, -1);
  std::vector<int> reg(N, -1);  // each command's region on its core
  struct Early {
    int core, r0, r1;
    int64_t bytes;
  };
  std::vector<Early> early;
  for (uint32_t i = 0; i < N; ++i) {
    const Command& c = prog.cmds[i];
    const int core = c.core;
    if (core < 0 || core >= n || c.layer < 0 || size_t(c.layer) >= L) throw InternalError("prefetch: a command names a core or layer the program does not have");
    if (c.kind == Kind::Sync) {
      int& r = region_of[core][c.layer];
      if (r < 0) {
        r = static_cast<int>(regions[core].size());
        regions[core].push_back({c.layer, i, kNone, 0, 0, {}});
        cur[core] = r;
      } else {
        regions[core][r].end = i;
      }
    }
    const int r = cur[core];
    reg[i] = r;
    // An allocation that may start before commands issued ahead of it on this core (a load that
    // waits only for an earlier sync) counts on every region from its dependency's to its own.
    if (c.ocm_alloc > 0 && c.kind != Kind::Sync && r >= 0) {
      int r0 = r;
      for (uint32_t d : c.deps)
        if (prog.cmds[d].core == core && reg[d] >= 0) r0 = std::min(r0, reg[d]);
      if (r0 < r) early.push_back({core, r0, r, c.ocm_alloc});
    }
    occ[core] += c.ocm_alloc;
    if (r >= 0) {
      Region& R = regions[core][r];
      // A compute holds its spilled partial sums in OCM while it runs (mac_array.cpp), whatever
      // else of the layer has been allocated by then.
      if (c.kind == Kind::Compute) R.spill = std::max(R.spill, hw::accumulator_spill_footprint(hw.mac, c.gemm));
      R.peak = std::max(R.peak, occ[core]);
      if (unit_of(c.kind) == Unit::Dma) {
        R.dma.push_back(i);
        if (c.kind == Kind::Load && c.weights && c.dram_bytes > 0 && c.layer == R.layer && i > R.start)
          candidates[core].push_back({r, i});
      }
    }
    occ[core] -= c.ocm_free;
  }

  for (const Early& x : early)
    for (int r = x.r0; r <= x.r1; ++r) regions[x.core][r].peak += x.bytes;

  // Give each core's weight loads, in order, to the earliest region with room in OCM on every
  // region up to the consumer.
  std::vector<int> moved_to(N, -1);             // region (on the load's core) it moves to
  std::vector<std::vector<uint32_t>> after(N);  // moved loads to issue after a command
  auto fused = [&](int l) { return size_t(l) < plan.layers.size() && plan.layers[size_t(l)].fusion_group >= 0; };
  for (int core = 0; core < n; ++core) {
    auto& R = regions[core];
    const auto& q = candidates[core];
    std::vector<int64_t> extra(R.size(), 0);
    size_t qi = 0;
    for (size_t e = 0; e < R.size() && qi < q.size(); ++e) {
      std::vector<uint32_t> own;  // the region's own transfers, among which moved loads are spread
      for (uint32_t d : R[e].dma)
        if (moved_to[d] < 0) own.push_back(d);
      std::vector<uint32_t> mine;
      while (qi < q.size()) {
        const auto [t, id] = q[qi];
        if (size_t(t) <= e) {
          ++qi;
          continue;
        }
        if (R[t].end == kNone) break;
        const int64_t b = prog.cmds[id].dram_bytes;
        // Fused groups (fuse.h) interleave their layers band by band, so their regions overlap
        // in stream order and their peaks do not add up: no load moves into, out of or across one.
        bool fits = true;
        for (int r = static_cast<int>(e); r <= t && fits; ++r)
          fits = !fused(R[r].layer) && R[r].peak + R[r].spill + extra[r] + b <= cap;
        if (!fits) break;
        for (int r = static_cast<int>(e); r <= t; ++r) extra[r] += b;
        moved_to[id] = static_cast<int>(e);
        mine.push_back(id);
        ++qi;
      }
      for (size_t k = 0; k < mine.size(); ++k) {
        const uint32_t at = own.empty() ? R[e].start : own[k * own.size() / mine.size()];
        after[at].push_back(mine[k]);
        Command& ld = prog.cmds[mine[k]];
        ld.deps = {R[e].start};
        ld.background = true;
        ld.ocm_alloc += ld.dram_bytes;
        prog.cmds[R[region_of[core][ld.layer]].end].ocm_free += ld.dram_bytes;
        ++stats.loads;
        stats.bytes += ld.dram_bytes;
      }
    }
  }
  if (stats.loads == 0) return stats;

  // The new issue order, and the dependencies renumbered.
  std::vector<uint32_t> order;
  order.reserve(N);
  for (uint32_t i = 0; i < N; ++i) {
    if (moved_to[i] >= 0) continue;
    order.push_back(i);
    for (uint32_t h : after[i]) order.push_back(h);
  }
  if (order.size() != N) throw InternalError("prefetch: a moved load lost its place");
  std::vector<uint32_t> renum(N);
  for (uint32_t k = 0; k < N; ++k) renum[order[k]] = k;
  std::vector<Command> cmds;
  cmds.reserve(N);
  for (uint32_t k = 0; k < N; ++k) {
    Command c = std::move(prog.cmds[order[k]]);
    for (uint32_t& d : c.deps) {
      d = renum[d];
      if (d >= k) throw InternalError("prefetch: a command would depend on a later command");
    }
    cmds.push_back(std::move(c));
  }
  prog.cmds = std::move(cmds);
  return stats;
}

}  // namespace nnasim::sched
