// Commands of a fused group (see fuse.h), band by band on each core.
//
// Per core: a start sync allocates the group's buffers (and the last layer's on-chip output); per
// band, the new input rows are loaded (double-buffered: the next band's rows load while this band
// computes), each layer computes its new rows (after the layer before it in the same band: it
// reads them; and after the layer after it in the band before: that one read the rows it now
// overwrites in its circular buffer), weights are loaded per block (double-buffered) or once
// (held), and the new output rows are stored (double-buffered; each band's store is issued after
// the next band's first loads, so that the in-order DMA engine prefetches instead of waiting for
// the last compute). An end sync per layer marks where its work ends; the last one frees the
// buffers.
#include <algorithm>
#include <array>

#include "sim/sched/fuse.h"
#include "sim/sched/fuse_walk.h"

namespace nnasim::sched {

using namespace fuse_detail;
using program::Command;
using program::Kind;

namespace {
constexpr uint32_t kNone = UINT32_MAX;

void add_dep(Command& c, uint32_t id) {
  if (id != kNone) c.deps.push_back(id);
}
}  // namespace

std::vector<std::vector<uint32_t>> emit_fused_group(program::Program& prog, const graph::Graph& g, const HardwareSpec& hw,
                                                    const Plan& plan, const FusedGroup& fg,
                                                    const std::vector<uint32_t>& start_deps, int64_t out_alloc,
                                                    int64_t freed_inputs, int next, const std::vector<int64_t>& tail_bytes,
                                                    std::vector<uint32_t>* tail_ids) {
  tail_ids->assign(size_t(hw.cores), kNone);
  const GroupGeo gg = group_geo(g, plan, fg.first, fg.last);
  const int G = gg.G();
  std::vector<std::vector<uint32_t>> ends(static_cast<size_t>(G));
  for (int core = 0; core < hw.cores; ++core) {
    const bool active = core < fg.active_cores;
    const WalkSum sum = active ? walk_sum(hw, gg, fg, core) : WalkSum{};
    Command start;
    start.kind = Kind::Sync, start.core = core, start.layer = fg.first;
    start.deps = start_deps;
    start.ocm_alloc = sum.buffers + out_alloc;
    const uint32_t start_id = prog.add(start);

    std::vector<uint32_t> last_cmp(size_t(G), kNone), layer_last(size_t(G), kNone);
    std::vector<uint32_t> held(size_t(G), kNone);
    // Double-buffered slots: the commands that last used each slot.
    std::vector<uint32_t> in_slot[2], w_slot[2], out_slot[2];
    int in_next = 0, w_next = 0, out_next = 0;
    uint32_t in_load = kNone, w_load = kNone, last_load = kNone;
    // A join's other operand: per layer, its latest band load and double-buffered slots.
    std::vector<uint32_t> x_load(size_t(G), kNone);
    std::vector<std::array<std::vector<uint32_t>, 2>> x_slot(static_cast<size_t>(G));
    std::vector<int> x_next(size_t(G), 0);
    int out_cur = 0;
    bool pending = false;
    Command pending_store;
    auto flush = [&] {
      if (!pending) return;
      const uint32_t id = prog.add(pending_store);
      out_slot[out_cur] = {id};
      layer_last[size_t(G) - 1] = id;
      pending = false;
    };
    if (active) {
      walk(hw, gg, fg, core, [&](const Step& st) {
        const int li = fg.first + st.j;
        const LayerGeo& q = gg.geo[size_t(st.j)];
        Command c;
        c.core = core, c.layer = li;
        switch (st.kind) {
          case StepKind::InLoad: {
            c = program::load(core, fg.first, st.bytes, false, in_slot[in_next]);
            c.deps.push_back(start_id);
            in_load = last_load = prog.add(c);
            in_slot[in_next] = {};
            in_next ^= 1;
            flush();
            break;
          }
          case StepKind::XLoad: {
            int& k = x_next[size_t(st.j)];
            c = program::load(core, li, st.bytes, false, x_slot[size_t(st.j)][size_t(k)]);
            c.deps.push_back(start_id);
            x_load[size_t(st.j)] = last_load = prog.add(c);
            x_slot[size_t(st.j)][size_t(k)] = {};
            k ^= 1;
            flush();
            break;
          }
          case StepKind::WLoad: {
            c = program::load(core, li, st.bytes, true, {start_id});
            if (fg.hold_weights) {
              // Held weights load once, during the first band: after the load before them, so
              // that the band's first input rows and first weights do not share the channel with
              // weights needed only later (the DMA engine keeps several transfers in flight).
              add_dep(c, last_load);
              held[size_t(st.j)] = w_load = last_load = prog.add(c);
            } else {
              c.deps.insert(c.deps.end(), w_slot[w_next].begin(), w_slot[w_next].end());
              w_load = last_load = prog.add(c);
              w_slot[w_next] = {};
              w_next ^= 1;
            }
            flush();
            break;
          }
          case StepKind::Compute: {
            c.kind = q.mac ? Kind::Compute : Kind::Vector;
            c.weight_bits = q.weight_bits, c.act_bits = q.act_bits, c.format = q.format;
            c.gemm = st.gemm;
            c.ops = st.ops;
            c.ocm_read = st.ocm_read, c.ocm_write = st.ocm_write;
            c.deps.push_back(start_id);
            if (q.mac && gg.streamed_w[size_t(st.j)] > 0) add_dep(c, fg.hold_weights ? held[size_t(st.j)] : w_load);
            if (st.j == 0 && gg.in_dram) add_dep(c, in_load);
            if (gg.extra_dram[size_t(st.j)]) add_dep(c, x_load[size_t(st.j)]);
            if (st.j > 0) add_dep(c, last_cmp[size_t(st.j) - 1]);           // reads the rows it computed
            if (st.first_block && st.j + 1 < G) add_dep(c, last_cmp[size_t(st.j) + 1]);  // overwrites rows it read
            if (st.j + 1 == G && gg.out_dram && st.first_block) {
              // The output slot this band writes: free once the store two bands ago is done.
              out_cur = out_next;
              out_next ^= 1;
              c.deps.insert(c.deps.end(), out_slot[out_cur].begin(), out_slot[out_cur].end());
            }
            std::sort(c.deps.begin(), c.deps.end());
            c.deps.erase(std::unique(c.deps.begin(), c.deps.end()), c.deps.end());
            const uint32_t id = prog.add(c);
            last_cmp[size_t(st.j)] = layer_last[size_t(st.j)] = id;
            if (st.j == 0) in_slot[in_next ^ 1].push_back(id);
            if (gg.extra_dram[size_t(st.j)]) x_slot[size_t(st.j)][size_t(x_next[size_t(st.j)] ^ 1)].push_back(id);
            if (!fg.hold_weights && q.mac && gg.streamed_w[size_t(st.j)] > 0) w_slot[w_next ^ 1].push_back(id);
            break;
          }
          case StepKind::Store: {
            flush();
            c = program::store(core, li, st.bytes, {});
            add_dep(c, last_cmp[size_t(G) - 1]);
            pending_store = c;
            pending = true;
            break;
          }
        }
      });
      flush();
    }
    for (int j = 0; j < G; ++j) {
      Command end;
      end.kind = Kind::Sync, end.core = core, end.layer = fg.first + j;
      end.deps = {start_id};
      add_dep(end, layer_last[size_t(j)]);
      if (j + 1 == G) {
        // Everything of the group on this core: its last command of each kind.
        for (int k = 0; k < G; ++k) add_dep(end, layer_last[size_t(k)]);
        add_dep(end, in_load);
        add_dep(end, w_load);
        for (uint32_t x : x_load) add_dep(end, x);
        end.ocm_free = sum.buffers + freed_inputs;
        std::sort(end.deps.begin(), end.deps.end());
        end.deps.erase(std::unique(end.deps.begin(), end.deps.end()), end.deps.end());
      }
      ends[size_t(j)].push_back(prog.add(end));
    }
    if (core < static_cast<int>(tail_bytes.size()) && tail_bytes[size_t(core)] > 0) {
      // The next layer's first weights (its buffers, freed with them): after the group's end on
      // this core has freed the group's buffers, ahead of the next layer's start.
      Command ld = program::load(core, next, tail_bytes[size_t(core)], true, {ends[size_t(G) - 1].back()});
      ld.ocm_alloc = ld.dram_bytes;
      (*tail_ids)[size_t(core)] = prog.add(ld);
    }
  }
  return ends;
}

}  // namespace nnasim::sched
