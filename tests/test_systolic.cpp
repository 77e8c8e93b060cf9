// Systolic cycle counts against hand-worked fill / steady-state / drain arithmetic.
// Per fold: 2r + c + T - 2 (SCALE-Sim's analytical model, Samajdar et al., ISPASS 2020), with r x c
// the part of the array the fold uses.
#include <catch2/catch.hpp>

#include "sim/hw/systolic.h"

using nnasim::Dataflow;
using nnasim::hw::Gemm;
using nnasim::hw::systolic_cycles;

TEST_CASE("systolic: weight stationary with partial folds at both edges", "[systolic]") {
  // 4x4 array, M=10 pixels, K=6, N=5. Rows <- K: folds of 4 and 2; cols <- N: folds of 4 and 1; T = M = 10.
  //   (4,4): 8+4+10-2 = 20   (4,1): 8+1+10-2 = 17   (2,4): 4+4+10-2 = 16   (2,1): 4+1+10-2 = 13
  CHECK(systolic_cycles(4, 4, Dataflow::WeightStationary, {10, 6, 5, 1}) == 20 + 17 + 16 + 13);
}

TEST_CASE("systolic: output stationary with partial folds at both edges", "[systolic]") {
  // 4x4 array, M=10, K=6, N=5. Rows <- M: 4, 4, 2; cols <- N: 4, 1; T = K = 6.
  //   (4,4): 8+4+6-2 = 16 (x2)   (4,1): 8+1+6-2 = 13 (x2)   (2,4): 4+4+6-2 = 12   (2,1): 4+1+6-2 = 9
  CHECK(systolic_cycles(4, 4, Dataflow::OutputStationary, {10, 6, 5, 1}) == 2 * 16 + 2 * 13 + 12 + 9);
}

TEST_CASE("systolic: one exact fold", "[systolic]") {
  // A 64x64 WS array holding K=64 x N=64 weights, streaming M=100 pixels: 128 + 64 + 100 - 2.
  CHECK(systolic_cycles(64, 64, Dataflow::WeightStationary, {100, 64, 64, 1}) == 290);
}

TEST_CASE("systolic: depthwise packs groups block-diagonally and still uses the array poorly", "[systolic]") {
  // 32 depthwise 3x3 channels (K=9, N=1), M=100, on 64x64 WS: p = min(64/9, 64/1) = 7 groups per fold.
  // 4 full folds: r = 63, c = 7: 126 + 7 + 100 - 2 = 231; the last 4 groups: r = 36, c = 4: 72 + 4 + 98 = 174.
  const Gemm dw{100, 9, 1, 32};
  const int64_t cyc = systolic_cycles(64, 64, Dataflow::WeightStationary, dw);
  CHECK(cyc == 4 * 231 + 174);
  const double utilisation = double(100 * 9 * 32) / (double(cyc) * 64 * 64);
  CHECK(utilisation < 0.01);
  // Output stationary cannot share input rows across groups: group by group.
  // Per group rows <- M=100: 64, 36; cols <- N=1; T = 9: (128+1+7) + (72+1+7) = 136 + 80 = 216.
  CHECK(systolic_cycles(64, 64, Dataflow::OutputStationary, dw) == 32 * 216);
}

TEST_CASE("systolic: operand widths change throughput as the hardware says", "[systolic]") {
  nnasim::HardwareSpec hw;
  hw.mac.rows = hw.mac.cols = 64;
  hw.mac.dataflow = Dataflow::WeightStationary;
  hw.mac.throughput = {{nnasim::NumFormat::Int, 8, 8, 4096}, {nnasim::NumFormat::Int, 16, 8, 2048},
                       {nnasim::NumFormat::Int, 16, 16, 1024}};
  hw.ocm.bytes_per_cycle = 1e12;
  const Gemm g{100, 64, 64, 1};
  using nnasim::hw::mac_tile_cycles;
  CHECK(mac_tile_cycles(hw, g, nnasim::NumFormat::Int, 8, 8, 0) == 290);
  CHECK(mac_tile_cycles(hw, g, nnasim::NumFormat::Int, 4, 8, 0) == 290);    // narrower than 8 runs at the 8-bit rate
  CHECK(mac_tile_cycles(hw, g, nnasim::NumFormat::Int, 16, 8, 0) == 580);   // 4096 / 2048
  CHECK(mac_tile_cycles(hw, g, nnasim::NumFormat::Int, 16, 16, 0) == 1160);  // 4096 / 1024
  // The OCM port bounds a tile too: 2900 bytes at 1 byte/cycle.
  hw.ocm.bytes_per_cycle = 1;
  CHECK(mac_tile_cycles(hw, g, nnasim::NumFormat::Int, 8, 8, 2900) == 2900);
}

namespace {
nnasim::MacArraySpec array(int rows, int cols, Dataflow df) {
  nnasim::MacArraySpec m;
  m.rows = rows, m.cols = cols, m.dataflow = df;
  return m;
}
}  // namespace

TEST_CASE("systolic: overlapped weight preloading pays the fill once per tile", "[systolic][preload]") {
  // 4x4 WS array, M=10, K=6, N=5 (the first case above): folds, column folds outer, (r, c) =
  // (4,4) (2,4) (4,1) (2,1). Serial: 20 + 16 + 17 + 13 = 66. Overlapped: the first fold fills its
  // 4 rows, then every fold streams T + r + c - 2 = 16, 14, 13, 11 while the next fold's weights
  // load behind it: 4 + 54 = 58.
  auto mac = array(4, 4, Dataflow::WeightStationary);
  CHECK(systolic_cycles(mac, {10, 6, 5, 1}) == 66);
  mac.weight_preload = nnasim::WeightPreload::Overlapped;
  CHECK(systolic_cycles(mac, {10, 6, 5, 1}) == 58);
  // A load longer than the fold it hides behind waits: 4x2 array, M=1, K=5, N=4: folds (4,2) (1,2)
  // (4,2) (1,2), streaming 5, 2, 5, 2 cycles. The second full fold's 4-row load has only the
  // partial fold's 1 + 1 + 2 - 2 = 2 cycles: it waits 2. 4 + 14 + 2 = 20 (serial: 10 + 14 = 24).
  auto narrow = array(4, 2, Dataflow::WeightStationary);
  CHECK(systolic_cycles(narrow, {1, 5, 4, 1}) == 24);
  narrow.weight_preload = nnasim::WeightPreload::Overlapped;
  CHECK(systolic_cycles(narrow, {1, 5, 4, 1}) == 20);
  // Output stationary has no weights to preload: the key changes nothing.
  auto os = array(4, 4, Dataflow::OutputStationary);
  os.weight_preload = nnasim::WeightPreload::Overlapped;
  CHECK(systolic_cycles(os, {10, 6, 5, 1}) == 2 * 16 + 2 * 13 + 12 + 9);
}

TEST_CASE("systolic: both output-stationary drain conventions reproduce hand-worked fold counts", "[systolic][scalesim]") {
  // 4x4 OS array, M=10, K=6, N=5: 3 row folds (4, 4, 2) x 2 column folds (4, 1), T = K = 6.
  // paper (2r + c + T - 2 over the part used): 16 + 16 + 13 + 13 + 12 + 9 = 79.
  // scalesim (T + R + C - 2, every fold padded to 4x4): 6 folds x 12 = 72.
  auto os = array(4, 4, Dataflow::OutputStationary);
  CHECK(systolic_cycles(os, {10, 6, 5, 1}) == 79);
  os.os_drain = nnasim::OsDrain::ScaleSim;
  CHECK(systolic_cycles(os, {10, 6, 5, 1}) == 72);
  // SCALE-Sim v2's 32x32 os machine on Resnet50_mlperf.csv's CB2a_1 (1x1 conv, 56x56 pixels,
  // K = 64, 64 filters): ceil(3136/32) = 98 row folds x 2 column folds x (64 + 32 + 32 - 2) =
  // 24,696. SCALE-Sim v2 itself reported 24,695 for that layer (bench/scalesim_comparison.md: its
  // layer total is folds x per-fold - 1, the index of the last cycle).
  auto ss = array(32, 32, Dataflow::OutputStationary);
  ss.os_drain = nnasim::OsDrain::ScaleSim;
  CHECK(systolic_cycles(ss, {3136, 64, 64, 1}) == 98 * 2 * 126);
  // Weight stationary does not drain outputs this way: the key changes nothing there.
  auto ws = array(4, 4, Dataflow::WeightStationary);
  ws.os_drain = nnasim::OsDrain::ScaleSim;
  CHECK(systolic_cycles(ws, {10, 6, 5, 1}) == 66);
}

TEST_CASE("systolic: groups side by side when each column has its own input", "[systolic][grouped]") {
  // 32 depthwise 3x3 channels (K=9, N=1), M=100, on 64x64 WS. block_diagonal packs 7 per fold
  // (4 x 231 + 174, above). group_per_column: one GEMM of K=9 x N=32: a single fold of r = 9,
  // c = 32: 18 + 32 + 100 - 2 = 148.
  auto mac = array(64, 64, Dataflow::WeightStationary);
  const Gemm dw{100, 9, 1, 32};
  CHECK(systolic_cycles(mac, dw) == 4 * 231 + 174);
  mac.grouped = nnasim::GroupMapping::GroupPerColumn;
  CHECK(systolic_cycles(mac, dw) == 148);
  // Output stationary, group_per_column: rows <- M (64, 36), cols <- 32, T = 9:
  // (128 + 32 + 7) + (72 + 32 + 7) = 278, against 32 x 216 group by group.
  auto os = array(64, 64, Dataflow::OutputStationary);
  CHECK(systolic_cycles(os, dw) == 32 * 216);
  os.grouped = nnasim::GroupMapping::GroupPerColumn;
  CHECK(systolic_cycles(os, dw) == 278);
}
