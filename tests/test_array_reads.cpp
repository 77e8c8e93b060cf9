// The operands the MAC array reads from OCM as they stream into it (sim/hw/systolic.h,
// array_input_elements / array_weight_passes): counts by hand, chunks of a fold adding up to the
// fold, and the count conserved over every tiling the mapper emits.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "sim/hw/systolic.h"
#include "sim/sched/layer_cost.h"
#include "sim/sched/scheduler.h"
#include "sim/sched/stream.h"

using namespace nnasim;
using program::Gemm;

namespace {
MacArraySpec array64(Dataflow df) {
  MacArraySpec m;
  m.rows = m.cols = 64;
  m.dataflow = df;
  return m;
}
}  // namespace

TEST_CASE("array reads: hand-worked counts of the streamed operand", "[systolic][ocm]") {
  const MacArraySpec ws = array64(Dataflow::WeightStationary), os = array64(Dataflow::OutputStationary);
  // WS, M = 10 pixels, K = 100 (row folds 64 + 36), N = 130 (column folds 64 + 64 + 2): each of
  // the 3 column folds streams the 10 pixels through 64 and then 36 rows: 10 x 100 x 3 = 3,000.
  CHECK(hw::array_input_elements(ws, Gemm{10, 100, 130, 1}) == 3000);
  CHECK(hw::array_weight_passes(ws, Gemm{10, 100, 130, 1}) == 1);
  // At 4 bits: 1,500 bytes, plus 777 bytes of weights read once.
  CHECK(hw::array_read_bytes(ws, Gemm{10, 100, 130, 1}, 4, 777) == 1500 + 777);
  // Depthwise 3x3 over 144 channels, 56 x 56 pixels, packed block-diagonally (7 groups per fold):
  // every channel's 9 taps stream once: 3,136 x 9 x 144 = 4,064,256 (MobileNetV2 features.3.conv.1).
  CHECK(hw::array_input_elements(ws, Gemm{3136, 9, 1, 144}) == 4064256);
  // Group per column: the same count, each column fed its own group's taps.
  MacArraySpec gpc = ws;
  gpc.grouped = GroupMapping::GroupPerColumn;
  CHECK(hw::array_input_elements(gpc, Gemm{3136, 9, 1, 144}) == 4064256);
  // OS, M = 100 (row folds 64 + 36), K = 50, N = 130 (3 column folds): inputs 100 x 50 x 3 =
  // 15,000; the weights stream once per row fold: 2 passes.
  CHECK(hw::array_input_elements(os, Gemm{100, 50, 130, 1}) == 15000);
  CHECK(hw::array_weight_passes(os, Gemm{100, 50, 130, 1}) == 2);
  // An empty GEMM reads nothing.
  CHECK(hw::array_read_bytes(ws, Gemm{0, 5, 5, 1}, 8, 100) == 0);
}

TEST_CASE("array reads: the chunks of a streamed fold read what the whole fold reads", "[systolic][ocm]") {
  const MacArraySpec ws = array64(Dataflow::WeightStationary);
  auto chunk = [](int64_t m, bool fill, bool drain) {
    Gemm g{m, 40, 50, 1};
    g.fill = fill, g.drain = drain;
    return g;
  };
  const int64_t whole = hw::array_read_bytes(ws, chunk(300, true, true), 8, 2000);
  const int64_t parts = hw::array_read_bytes(ws, chunk(100, true, false), 8, 2000) +
                        hw::array_read_bytes(ws, chunk(120, false, false), 8, 2000) +
                        hw::array_read_bytes(ws, chunk(80, false, true), 8, 2000);
  CHECK(parts == whole);
  CHECK(whole == 300 * 40 + 2000);
  // A command of several folds fills every fold: its weights are read whatever its flags.
  Gemm multi{300, 100, 50, 1};
  multi.fill = false;
  CHECK(hw::array_weight_passes(ws, multi) == 1);
}

TEST_CASE("array reads: conserved over every tiling the mapper emits", "[systolic][ocm][conservation]") {
  // A dense conv with 64 filters on a 64-column array: every tile is one column fold, so its
  // Compute commands together stream M x K activations into the array once per channel block,
  // however the mapper tiles the pixels and the reduction: 28 x 28 pixels x (32 x 3 x 3) x blocks.
  // OCM sizes from roomy to tight force different tilings (whole tiles, streamed chunks, reduction
  // blocks). For streamed tilings the planner's estimate of those bytes (stream_cost) is what the
  // emitted commands read.
  const auto g = test::single_conv(32, 28, 64, 3);
  const int64_t M = 28 * 28, K = 288;
  int streamed = 0, whole = 0, chunked = 0;
  for (double ocm : {8.0 * 1024 * 1024, 256.0 * 1024, 64.0 * 1024, 24.0 * 1024, 12.0 * 1024}) {
    for (bool streaming : {true, false}) {
      HardwareSpec hw = test::literal_hw(64, 64, ocm, 1e10);
      sched::SchedOptions opt;
      opt.mode = sched::Mode::Cold;
      opt.streaming = streaming;
      sched::Schedule s;
      try {
        s = sched::schedule(g, hw, opt);
      } catch (const InputError&) {
        continue;  // the whole-tile mapper alone may not fit the smallest OCM
      }
      int64_t elems = 0, bytes = 0, macs = 0;
      for (const auto& c : s.program.cmds) {
        if (c.kind != program::Kind::Compute) continue;
        elems += hw::array_input_elements(hw.mac, c.gemm);
        macs += c.ops;
        CHECK(c.ocm_read >= hw::array_input_elements(hw.mac, c.gemm));  // 8-bit activations
        bytes += hw::array_read_bytes(hw.mac, c.gemm, 8, hw::array_weight_passes(hw.mac, c.gemm) ? c.gemm.k * c.gemm.n : 0);
      }
      const auto& lp = s.plan.layers[1];
      const int64_t blocks = lp.tiling.stream ? (64 + lp.tiling.st.nb - 1) / lp.tiling.st.nb : lp.tiling.channel_tiles;
      INFO("OCM " << ocm << " B, streaming " << streaming << ": " << sched::describe(lp, hw.mac.dataflow));
      CHECK(macs == M * K * 64);
      CHECK(elems == M * K * blocks);
      (lp.tiling.stream ? streamed : whole)++;
      if (lp.tiling.stream && lp.tiling.st.mb < M) chunked++;
      if (lp.tiling.stream) {
        const auto geo = sched::layer_geo(g, 1);
        const auto cost = sched::stream_cost(hw, geo, lp.tiling.st, geo.weight_bytes, false, false);
        CHECK(cost.array_reads == bytes);
      }
    }
  }
  CHECK(streamed > 0);
  CHECK(whole > 0);
  CHECK(chunked > 0);
}
