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
