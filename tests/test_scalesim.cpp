// SCALE-Sim v2 topology import (sim/graph/scalesim_csv.cpp) on the topology files shipped in
// models/scalesim (SCALE-Sim topologies), on files written here, and the two SCALE-Sim hardware
// descriptions in configs/hw. Expected figures are SCALE-Sim's own (scalesim/topology_utils.py:
// ofmap = ceil((ifmap - filter + stride) / stride), MACs = ofmap_h * ofmap_w * fh * fw * C * filters).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>

#include "helpers.h"
#include "sim/config/hw_config.h"
#include "sim/graph/load.h"
#include "sim/graph/scalesim_csv.h"

using namespace nnasim::graph;
using nnasim::InputError;
using nnasim::test::layer;
namespace fs = std::filesystem;

namespace {

std::string topo(const std::string& name) {
  return (fs::path(NNASIM_SOURCE_DIR) / "models" / "scalesim" / name).string();
}

std::string write_csv(const std::string& name, const std::string& text) {
  return nnasim::test::temp_file(name, text);
}

const char* kHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";

int count(const Graph& g, Op op) {
  int n = 0;
  for (const auto& l : g.layers) n += l.op == op;
  return n;
}

// Expects an InputError at `line` of the file whose message contains `part`.
void expect_error(const std::string& path, int line, const std::string& part) {
  try {
    load_scalesim_csv(path);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    INFO(e.line());
    CHECK(e.loc().file == path);
    CHECK(e.loc().line == line);
    CHECK_THAT(e.line(), Catch::Matchers::Contains(line > 0 ? fmt::format("{}:{}: ", path, line) : path + ": "));
    CHECK_THAT(e.message(), Catch::Matchers::Contains(part));
  }
}

}  // namespace

TEST_CASE("scalesim: test.csv is one 3x3 layer", "[scalesim]") {
  Graph g = load_model(topo("test.csv"));  // dispatched by the .csv extension
  REQUIRE(g.layers.size() == 2);           // the row's ifmap (an Input) and its conv
  CHECK(g.layers[0].op == Op::Input);
  CHECK(g.layers[0].out == Shape{1, 192, 7, 7});
  const Layer& l = layer(g, "Inc5b_3x3");
  CHECK(l.op == Op::Conv);
  CHECK(l.inputs == std::vector<int>{0});
  // Inc5b_3x3, 7, 7, 3, 3, 192, 384, 1: ofmap ceil((7 - 3 + 1) / 1) = 5;
  // MACs 5 * 5 * 3 * 3 * 192 * 384 = 16,588,800.
  CHECK(l.out == Shape{1, 384, 5, 5});
  CHECK(l.cost.macs == 16588800);
  CHECK(l.cost.weights == 3 * 3 * 192 * 384);
  CHECK(!l.has_bias);
  CHECK(l.quant.weight_bits == 8);
  CHECK(l.quant.act_bits == 8);
  CHECK(l.cost.weight_bytes == 3 * 3 * 192 * 384);  // 1-byte words
  CHECK(l.cost.output_bytes == 384 * 5 * 5);
}

TEST_CASE("scalesim: alexnet.csv", "[scalesim]") {
  Graph g = load_scalesim_csv(topo("alexnet.csv"));
  CHECK(g.name == "alexnet");
  REQUIRE(g.layers.size() == 10);  // 5 rows: 5 inputs + 5 convs
  CHECK(count(g, Op::Conv) == 5);
  CHECK(count(g, Op::Input) == 5);
  // Conv1, 224, 224, 11, 11, 3, 96, 4: ceil((224 - 11 + 4) / 4) = ceil(54.25) = 55 (the floor rule
  // gives 54 + 1 = 55 too); MACs 55 * 55 * 11 * 11 * 3 * 96 = 105,415,200.
  const Layer& c1 = layer(g, "Conv1");
  CHECK(c1.out == Shape{1, 96, 55, 55});
  CHECK(c1.cost.macs == 105415200);
  // Conv2, 27, 27, 5, 5, 96, 256, 1: no padding in SCALE-Sim, so 27 - 5 + 1 = 23 (AlexNet itself pads
  // to 27); MACs 23 * 23 * 5 * 5 * 96 * 256 = 325,017,600.
  const Layer& c2 = layer(g, "Conv2");
  CHECK(c2.out == Shape{1, 256, 23, 23});
  CHECK(c2.cost.macs == 325017600);
  // Each row reads its own ifmap: Conv2's input is a fresh 27 x 27 x 96 Input, not Conv1's output.
  const Layer& in2 = g.layers[c2.inputs.at(0)];
  CHECK(in2.op == Op::Input);
  CHECK(in2.name == "Conv2/ifmap");
  CHECK(in2.out == Shape{1, 96, 27, 27});
  // Conv3..5 on 13 x 13 with 3 x 3: 11 x 11 outputs.
  CHECK(layer(g, "Conv5").out == Shape{1, 256, 11, 11});
  // Total as SCALE-Sim's topologies.get_all_mac_ops() computes it for this file.
  CHECK(g.totals().macs == 805118496);
}

TEST_CASE("scalesim: Resnet50_mlperf.csv follows SCALE-Sim's ceil rule", "[scalesim]") {
  Graph g = load_scalesim_csv(topo("Resnet50_mlperf.csv"));  // its line 2 is blank
  CHECK(count(g, Op::Conv) == 54);
  CHECK(g.layers.size() == 108);
  // Conv1, 224, 224, 7, 7, 3, 64, 2 (line 3): no padding, ceil((224 - 7 + 2) / 2) = ceil(109.5) = 110,
  // where floor((224 - 7) / 2) + 1 = 109; MACs 110 * 110 * 7 * 7 * 3 * 64 = 113,836,800.
  const Layer& c1 = layer(g, "Conv1");
  CHECK(c1.loc.line == 3);
  CHECK(c1.out == Shape{1, 64, 110, 110});
  CHECK(c1.cost.macs == 113836800);
  CHECK(c1.pad_t == 0);
  CHECK(c1.pad_b == 1);  // the partial last window SCALE-Sim counts
  // CB3a_1, 56, 56, 1, 1, 256, 128, 2: ceil((56 - 1 + 2) / 2) = ceil(28.5) = 29 (floor rule: 28);
  // MACs 29 * 29 * 256 * 128 = 27,557,888.
  const Layer& cb3 = layer(g, "CB3a_1");
  CHECK(cb3.out == Shape{1, 128, 29, 29});
  CHECK(cb3.cost.macs == 27557888);
  // CB2a_2, 56, 56, 3, 3, 64, 64, 1: 54 x 54 (SCALE-Sim does not pad); MACs 54*54*9*64*64 = 107,495,424.
  CHECK(layer(g, "CB2a_2").out == Shape{1, 64, 54, 54});
  CHECK(layer(g, "CB2a_2").cost.macs == 107495424);
  // FC6, 1, 1, 1, 1, 2048, 1000, 1: a 1 x 1 conv, 2048 * 1000 MACs.
  CHECK(layer(g, "FC6").cost.macs == 2048000);
  // Total as SCALE-Sim's topologies.get_all_mac_ops() computes it for this file.
  CHECK(g.totals().macs == 3479536384);
}

TEST_CASE("scalesim: DP layers are depthwise as SCALE-Sim expands them", "[scalesim]") {
  // SCALE-Sim splits a row whose name contains "DP" into `Channels` one-channel layers with the
  // row's Num Filter each; nnasim keeps one conv with groups = Channels.
  std::string p = write_csv("dp.csv", std::string(kHeader) +
                                          "Conv1, 16, 16, 3, 3, 3, 8, 2,\n"
                                          "Conv2DP, 15, 15, 3, 3, 8, 1, 2,\n"
                                          "X_DP3, 10, 12, 3, 5, 4, 2, 2, 3,\n"
                                          "Conv_dw, 15, 15, 3, 3, 8, 1, 1,\n");
  Graph g = load_scalesim_csv(p);
  REQUIRE(count(g, Op::Conv) == 4);
  const Layer& dp = layer(g, "Conv2DP");
  CHECK(dp.depthwise());
  CHECK(dp.groups == 8);
  // ceil((15 - 3 + 2) / 2) = 7; 8 channel layers of 7 * 7 * 3 * 3 * 1 * 1 MACs = 3,528.
  CHECK(dp.out == Shape{1, 8, 7, 7});
  CHECK(dp.cost.macs == 3528);
  // Num Filter 2 and separate strides (2 down, 3 across): each of the 4 channel layers has
  // 2 filters and a ceil((10 - 3 + 2) / 2) = 5 by ceil((12 - 5 + 3) / 3) = 4 ofmap:
  // 4 * (5 * 4 * 3 * 5 * 1 * 2) = 2,400 MACs.
  const Layer& x = layer(g, "X_DP3");
  CHECK(x.groups == 4);
  CHECK(x.out_channels == 8);
  CHECK(!x.depthwise());
  CHECK(x.sh == 2);
  CHECK(x.sw == 3);
  CHECK(x.out == Shape{1, 8, 5, 4});
  CHECK(x.cost.macs == 2400);
  // "dw" (lower case) is not "DP": an ordinary conv, as in SCALE-Sim.
  const Layer& dw = layer(g, "Conv_dw");
  CHECK(dw.groups == 1);
  CHECK(dw.cost.macs == 13 * 13 * 9 * 8 * 1);
  // Conv1: ceil((16 - 3 + 2) / 2) = 8; 8 * 8 * 9 * 3 * 8 = 13,824. Total = SCALE-Sim's 19,752 + Conv_dw.
  CHECK(layer(g, "Conv1").cost.macs == 13824);
  CHECK(g.totals().macs == 19752 + 13 * 13 * 9 * 8);
}

TEST_CASE("scalesim: GEMM (M N K) topology and file details", "[scalesim]") {
  // SCALE-Sim's GEMM mode maps a row to an M x K ifmap, one channel, N filters of 1 x K.
  std::string p = write_csv("mnk.csv", "Layer Name, M, N, K,\nTest 1, 128, 64, 256,\n");
  Graph g = load_scalesim_csv(p);
  const Layer& l = layer(g, "Test 1");
  CHECK(l.out == Shape{1, 64, 128, 1});
  CHECK(l.cost.macs == 128 * 64 * 256);

  // Text after the last comma is ignored (SCALE-Sim's files put comments there); names may repeat;
  // CRLF line ends and a BOM are fine.
  std::string q = write_csv("details.csv", "\xEF\xBB\xBF" + std::string(kHeader) +
                                               "A, 8, 8, 3, 3, 1, 1, 1,#dw\r\n"
                                               "\r\n"
                                               "A, 8, 8, 3, 3, 1, 1, 1,\r\n");
  Graph h = load_scalesim_csv(q);
  CHECK(count(h, Op::Conv) == 2);
  CHECK(layer(h, "A").out == Shape{1, 1, 6, 6});
  CHECK(layer(h, "A_2").loc.line == 4);
}

TEST_CASE("scalesim: malformed rows are errors at their line", "[scalesim]") {
  const std::string h = kHeader;
  expect_error(write_csv("missing.csv", h + "Conv1, 224, 224, 7, 7, 3, 64, 2,\n\nConv2, 56, 56, 3, 3, 64,\n"), 4,
               "missing column 'Num Filter'");
  expect_error(write_csv("nan.csv", h + "Conv1, 224, 224, 7, 7, 3, 64, 2,\nConv2, 56, 5x6, 3, 3, 64, 64, 1,\n"), 3,
               "column 'IFMAP Width' is '5x6': expected a whole number");
  expect_error(write_csv("empty_cell.csv", h + "Conv1, 224, , 7, 7, 3, 64, 2,\n"), 2, "column 'IFMAP Width' is ''");
  expect_error(write_csv("float.csv", h + "Conv1, 224, 224, 7, 7, 3, 64, 2.5,\n"), 2, "column 'Strides' is '2.5'");
  expect_error(write_csv("zero.csv", h + "Conv1, 224, 224, 7, 7, 0, 64, 2,\n"), 2, "column 'Channels' is 0");
  expect_error(write_csv("negative.csv", h + "Conv1, 224, 224, 7, 7, 3, 64, -2,\n"), 2, "column 'Strides' is -2");
  expect_error(write_csv("big_filter.csv", h + "Conv1, 5, 9, 7, 7, 3, 64, 1,\n"), 2,
               "Filter Height 7 is larger than IFMAP Height 5");
  expect_error(write_csv("stride_w.csv", h + "Conv1, 9, 9, 3, 3, 3, 64, 1, 0,\n"), 2, "column 'Stride width' is 0");
  expect_error(write_csv("too_many.csv", h + "Conv1, 9, 9, 3, 3, 3, 64, 1, 1, 1,\n"), 2, "too many columns");
  expect_error(write_csv("no_comma.csv", h + "Conv1, 9, 9, 3, 3, 3, 64, 2\n"), 2, "does not end with a comma");
  expect_error(write_csv("no_header.csv", "Conv1, 9, 9, 3, 3, 3, 64, 2,\n"), 1, "header");
  expect_error(write_csv("only_header.csv", h), 0, "no layers");
  expect_error(write_csv("empty.csv", ""), 0, "empty");
  expect_error((fs::temp_directory_path() / "nnasim_no_such_topology.csv").string(), 0, "cannot open");
}

TEST_CASE("scalesim: hardware descriptions of SCALE-Sim's default machine", "[scalesim][config]") {
  using nnasim::Dataflow;
  using nnasim::NumFormat;
  const fs::path dir = fs::path(NNASIM_SOURCE_DIR) / "configs" / "hw";
  auto os = nnasim::config::load_hardware((dir / "scalesim-32x32-os.yaml").string());
  CHECK(os.cores == 1);
  CHECK(os.mac.rows == 32);
  CHECK(os.mac.cols == 32);
  CHECK(os.mac.dataflow == Dataflow::OutputStationary);
  CHECK(os.macs_per_cycle(NumFormat::Int, 8, 8) == 1024);
  CHECK(os.ocm.size_bytes == 3 * 64 * 1024);  // ifmap + filter + ofmap SRAM, 64 kB each
  // DRAM never stalls compute: 3 bytes per MAC per cycle at the clock.
  CHECK(os.dram.bandwidth >= 3.0 * 1024 * os.clock_hz);

  auto ws = nnasim::config::load_hardware((dir / "scalesim-128x128-ws.yaml").string());
  CHECK(ws.mac.rows == 128);
  CHECK(ws.mac.cols == 128);
  CHECK(ws.mac.dataflow == Dataflow::WeightStationary);
  CHECK(ws.macs_per_cycle(NumFormat::Int, 8, 8) == 16384);
  CHECK(ws.ocm.size_bytes == 3 * 64 * 1024);
  CHECK(ws.dram.bandwidth >= 3.0 * 16384 * ws.clock_hz);
}
