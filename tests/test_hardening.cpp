// Issue 13's reproducers, each an input a hostile user might give: every one must end with exit
// status 2 and one line "error: FILE:LINE: ..." (or "error: --option: ..."), never a crash, a
// hang, a wrapped number, a silent default or an exit 0 after a failed write.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <tuple>

#include "onnx_builder.h"
#include "sim/common/checked.h"
#include "sim/common/files.h"
#include "sim/common/parse.h"
#include "sim/common/text.h"
#include "sim/config/hw_config.h"
#include "sim/graph/onnx_model.h"

using namespace nnasim;
using test::expect_input_error;
using test::q;
using test::run_cli;
using test::source_dir;
using test::temp_file;

namespace {

std::string tinynet() { return source_dir() + "/models/tinynet.yaml"; }

std::string model_with(const std::string& name, const std::string& layer) {
  return temp_file(name, "name: t\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n  - " + layer + "\n");
}

}  // namespace

TEST_CASE("hardening: huge or wrapped layer sizes are errors at their line", "[hardening]") {
  struct Case {
    const char* layer;
    const char* words;
  } cases[] = {
      {"{name: a, op: conv, out_channels: 3, kernel: 3, dilation: 2000000000, pad: 2000000000}", "larger than 2147483647"},
      {"{name: a, op: fc, out_features: 9223372036854775807}", "'out_features' is 9223372036854775807: expected 1 to 2147483647"},
      {"{name: a, op: conv, out_channels: 3, kernel: 4294967299}", "4294967299 is larger than the limit"},
      {"{name: a, op: conv, out_channels: 3, kernel: 3, pad: 4294967295}", "4294967295 is larger than the limit"},
      {"{name: a, op: conv, out_channels: 3, kernel: 1, groups: 4294967300}", "4294967300 is out of range"},
      {"{name: a, op: conv, out_channels: 3, kernel: 1e1}", "'1e1' is not an integer"},
      {"{name: a, op: conv, out_channels: 3, kernel: 3, weight_bits: 8.7}", "'8.7' is not an integer"},
      {"{name: a, op: conv, out_channels: 3, kernel: 3, stride: 0}", "must be positive"},
  };
  int i = 0;
  for (const auto& c : cases) {
    auto m = model_with("big" + std::to_string(i++) + ".yaml", c.layer);
    expect_input_error(run_cli("run --model " + q(m)), m + ":4", c.words);
  }
}

TEST_CASE("hardening: physical values out of range are errors naming the option", "[hardening]") {
  struct Case {
    const char* set;
    const char* key;
    const char* words;
  } cases[] = {
      {"dram.bandwidth=0.0001 B/s", "dram.bandwidth", "between 1000000 and 1000000000000000"},
      {"dram.bandwidth=1e308 TB/s", "dram.bandwidth", "between"},
      {"clock=1e-300 Hz", "clock", "between 1000000 and 100000000000"},
      {"clock=1e-4 Hz", "clock", "between"},
      {"clock=1e300 GHz", "clock", "between"},
      {"energy.vector_op=1e308 J", "energy.vector_op", "between 0 and 1"},
      {"energy.vector_op=-1 pJ", "energy.vector_op", "must not be negative"},
      {"energy.static_power=-0.5 W", "energy.static_power", "must not be negative"},
      {"dram.latency=-1 s", "dram.latency", "must not be negative"},
      {"cores.count=1e1", "cores.count", "'1e1' is not an integer"},
  };
  for (const auto& c : cases)
    expect_input_error(run_cli("run --model " + q(tinynet()) + " --set " + q(c.set)), std::string("--set ") + c.key, c.words);
}

TEST_CASE("hardening: YAML that yaml-cpp rejects or would accept wrongly", "[hardening]") {
  struct Case {
    std::string set;
    const char* words;
  } cases[] = {
      {"clock={? [a, b] : 1}", "a key must be a plain name"},
      {"clock=*x", "malformed YAML"},
      {"cores={count: 1, count: 2}", "duplicate key 'count'"},
      {"clock=[[[[[[", "malformed YAML"},
      {"clock=" + std::string(10000, '['), "malformed YAML"},
      {"clock={a: 1}", "expected a single value"},
      // Errors inside a structured value point at the option, not at line 1 of the hardware file.
      {"mac_array.throughput=[{format: int, weight_bits: 8, act_bits: 8, macs_per_cycle: 99999}]", "is more than the array's"},
      {"dram={bandwidth: 1 B/s, latency: 1 ns}", "'dram.bandwidth': must be between"},
      {"energy.mac=[{format: int, weight_bits: 8, act_bits: 8}]", "missing required key 'energy.mac[0].energy'"},
      {"clock=\"1.5\\x01GHz\"", "unit '\\x01GHz' is not a frequency"},  // escaped on one line
  };
  for (const auto& c : cases) {
    auto r = run_cli("run --model " + q(tinynet()) + " --set " + q(c.set));
    expect_input_error(r, c.set.substr(0, c.set.find('=')).insert(0, "--set "), c.words);
  }
  // A duplicate key in a file is an error at the second occurrence.
  std::ifstream in(test::hw_path("series4-1core"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.insert(text.find("cores:"), "clock: 2 GHz\n");
  auto dup = temp_file("dup.yaml", text);
  expect_input_error(run_cli("run --model " + q(tinynet()) + " --hw " + q(dup)), dup + ":6", "duplicate key 'clock'");
}

TEST_CASE("hardening: files that are not what they should be", "[hardening]") {
  auto empty = temp_file("empty.yaml", "");
  expect_input_error(run_cli("run --hw " + q(empty)), empty, "file is empty");
  auto bad = temp_file("latin1.yaml", "name: caf\xe9\n");
  expect_input_error(run_cli("run --hw " + q(bad)), bad + ":1", "invalid UTF-8");
  const std::string dir = source_dir() + "/configs";
  expect_input_error(run_cli("run --hw " + q(dir)), dir, "is a directory");
  auto sweep_dir = run_cli("sweep " + q(dir));
  CHECK(sweep_dir.status == 2);
  CHECK_THAT(sweep_dir.err, Catch::Contains("is a directory"));
  auto longname = run_cli("run --model " + std::string(300, 'x'));
  CHECK(longname.status == 2);
  auto name = temp_file("badname.yaml", "name: \"a\\xffb\"\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                                        "  - {name: \"l\\x01\", op: relu}\n");
  auto r = run_cli("run --model " + q(name) + " --format json");
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find('\x01') == std::string::npos);
}

TEST_CASE("hardening: every write is checked", "[hardening]") {
  if (access("/dev/full", W_OK) != 0) return;  // no /dev/full here
  for (const std::string args : {"-o /dev/full", "--trace-out /dev/full", "--timeline /dev/full"}) {
    auto r = run_cli("run --model " + q(tinynet()) + " " + args);
    INFO(args << ": " << r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("No space left on device"));
  }
  auto r = test::run_shell(std::string(NNASIM_BINARY) + " run --model " + q(tinynet()) + " > /dev/full 2>&1; echo $?");
  CHECK(r.out == "2\n");
}

TEST_CASE("hardening: -o never replaces a FIFO, a symlink or a directory", "[hardening]") {
  const std::string dir = test::temp_file("o_dir_marker", "") + ".d";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  // A symlink: its target is written, the link stays.
  const std::string target = dir + "/target.json", link = dir + "/link.json";
  REQUIRE(::symlink("target.json", link.c_str()) == 0);
  REQUIRE(run_cli("run --model " + q(tinynet()) + " --format json -o " + q(link)).status == 0);
  struct stat st {};
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(::stat(target.c_str(), &st) == 0);
  // A directory is refused.
  auto r = run_cli("run --model " + q(tinynet()) + " -o " + q(dir));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("will not write over a directory"));
  // A sweep's results file must be a regular file: a FIFO is refused, not replaced.
  const std::string fifo = dir + "/fifo.csv";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  auto spec = temp_file("fifo_sweep.yaml", "hardware: " + test::hw_path("series4-1core") + "\nmodels: [" + tinynet() + "]\n");
  auto s = run_cli("sweep " + q(spec) + " -o " + q(fifo));
  CHECK(s.status == 2);
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  // No temporary file is left behind.
  auto ls = test::run_shell("ls -A " + q(dir));
  CHECK(ls.out == "fifo.csv\nlink.json\ntarget.json\n");
}

TEST_CASE("hardening: sweep bit widths must be integers", "[hardening]") {
  for (const char* v : {"1e1", ".8e1", "8.7"}) {
    auto spec = temp_file("bits.yaml", "hardware: " + test::hw_path("series4-1core") + "\nmodels: [" + tinynet() +
                                           "]\naxes:\n  weight_bits: [" + v + ", 8]\n");
    auto r = run_cli("sweep " + q(spec));
    expect_input_error(r, spec + ":4", "is not a bit width");
  }
}

TEST_CASE("hardening: checked arithmetic and parsing helpers", "[hardening]") {
  int64_t v = 0;
  CHECK(parse_integer("42", &v));
  CHECK(v == 42);
  for (const char* bad : {"1e1", ".8e1", "8.7", " 8", "8 ", "0x10", "+", "", "99999999999999999999"})
    CHECK_FALSE(parse_integer(bad, &v));
  double d = 0;
  CHECK(parse_real(".5", &d));
  CHECK(d == 0.5);
  for (const char* bad : {"inf", "nan", "0x1p3", "1e999", "1.5GHz", ""}) CHECK_FALSE(parse_real(bad, &d));
  CHECK_THROWS_AS(checked_mul(int64_t(1) << 40, int64_t(1) << 30, {"f", 1}, "x"), InputError);
  CHECK(checked_mul(1 << 20, 1 << 20, {"f", 1}, "x") == int64_t(1) << 40);
  CHECK_THROWS_AS(checked_product({kMaxDim, kMaxDim, kMaxDim}, {"f", 1}, "x"), InputError);
  CHECK(escape_text("a\nb\x01\xff") == "a\\nb\\x01\\xff");
  CHECK(valid_utf8("caf\xc3\xa9"));
  CHECK_FALSE(valid_utf8("caf\xe9"));
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));  // a surrogate
  CHECK(check_name(std::string(1025, 'a')) != "");
  CHECK(check_name(std::string(1024, 'a')) == "");
}

TEST_CASE("hardening: --help-config comes from the same table that parses", "[hardening][config]") {
  // Every documented default parses to what the struct holds when the key is absent.
  auto hw = config::load_hardware(test::hw_path("series4-1core"));
  CHECK(hw.lns.int_bits == 4);
  CHECK(hw.lns.frac_bits == 3);
  CHECK(hw.dram.efficiency == 1.0);
  std::string h = config::hardware_help();
  CHECK_THAT(h, Catch::Contains("lns.int_bits") && Catch::Contains("[default: 4]"));
}

TEST_CASE("hardening: --resume re-runs points that did not finish and ends byte-identical", "[hardening][sweep]") {
  auto spec = temp_file("rerun.yaml", "hardware: " + test::hw_path("series4-1core") + "\nmodels: [" + tinynet() +
                                          "]\naxes:\n  ocm.size: [256 KiB, 1 MiB]\n  weight_bits: [4, 8]\n");
  const std::string full = spec + ".full.csv", part = spec + ".part.csv";
  REQUIRE(run_cli("sweep " + q(spec) + " -o " + q(full) + " -q").status == 0);
  std::ifstream in(full);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string expected = ss.str();
  // Point 2 was killed and point 3 crashed in the interrupted run: their rows say so.
  std::vector<std::string> lines;
  std::istringstream ls(expected);
  for (std::string l; std::getline(ls, l);) lines.push_back(l);
  REQUIRE(lines.size() == 5);
  // The same identity (4 columns), no figures, no top1, the status of a point that did not finish.
  // As many empty fields as the header has columns after the identity (figures, accuracy).
  const size_t commas = size_t(std::count(lines[0].begin(), lines[0].end(), ','));
  auto unfinished = [&](const std::string& row, const std::string& why) {
    size_t pos = 0;
    for (int i = 0; i < 4; ++i) pos = row.find(',', pos) + 1;
    return row.substr(0, pos - 1) + std::string(commas - 3, ',') + why;
  };
  std::ofstream out(part);
  out << lines[0] << "\n" << lines[1] << "\n"
      << unfinished(lines[2], "error: unfinished: killed by signal 9") << "\n"
      << unfinished(lines[3], "error: unfinished: killed by signal 11") << "\n";
  out.close();
  {
    std::ifstream check(part);
    std::string header, row;
    std::getline(check, header);
    std::getline(check, row);
    std::getline(check, row);
    CHECK(std::count(row.begin(), row.end(), ',') == std::count(header.begin(), header.end(), ','));
  }
  // The interrupted run's record of its inputs: the uninterrupted run's (the same points).
  std::filesystem::copy_file(full + ".inputs.json", part + ".inputs.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto r = run_cli("sweep " + q(spec) + " -o " + q(part) + " --resume");
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("1 kept from the previous run"));
  std::ifstream again(part);
  std::stringstream s2;
  s2 << again.rdbuf();
  CHECK(s2.str() == expected);
}

TEST_CASE("hardening: pareto reads a last row without a trailing newline", "[hardening][sweep]") {
  auto csv = temp_file("nonl.csv", "hardware,seconds,energy_joules,status\na,1,3,ok\nb,2,1,ok\nc,3,0.5,ok");
  auto r = run_cli("pareto " + q(csv) + " --x seconds --y energy_joules --minimize-y --format csv");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("c,3,0.5"));  // the last row is on the front
  auto full = temp_file("nl.csv", "hardware,seconds,energy_joules,status\na,1,3,ok\nb,2,1,ok\nc,3,0.5,ok\n");
  CHECK(run_cli("pareto " + q(full) + " --x seconds --y energy_joules --minimize-y --format csv").out == r.out);
}

TEST_CASE("hardening: layers at the size limits are planned without overflow", "[hardening]") {
  // 2^31 - 1 output features (weights ~ 412 GB): too large for 1 MiB of OCM (exit 2, one line),
  // and planned, emitted and simulated with 1 TB of OCM (128-bit tile arithmetic in the planner).
  auto fc = model_with("fcmax.yaml", "{name: a, op: fc, out_features: 2147483647}");
  expect_input_error(run_cli("run --model " + q(fc)), fc + ":4", "does not fit in OCM");
  auto r = run_cli("run --model " + q(fc) + " --set 'ocm.size=1000 GB' --format json");
  INFO(r.err);
  CHECK(r.status == 0);
  auto big = model_with("fc28.yaml", "{name: a, op: fc, out_features: 268435456}");
  expect_input_error(run_cli("run --model " + q(big)), big + ":4", "does not fit in OCM");
}

TEST_CASE("hardening: simulated time beyond the limit is an input error, not a hang or a wrap", "[hardening]") {
  // A struct-literal machine below the YAML limits: 1 B/s of DRAM for 2 MB of weights would take
  // 2e6 s of simulated time, beyond the 1e6 s SystemC's 64-bit picoseconds are kept to.
  HardwareSpec hw = test::literal_hw(4, 4, 8 << 20, 1.0);
  CHECK_THROWS_WITH(test::simulate_forked(test::single_fc(1024, 2048), hw, sched::Mode::Cold),
                    Catch::Contains("would take more than 1e+06 s"));
  // At 1 kB/s the same layer takes about 2000 s and simulates.
  hw.dram.bandwidth = 1e3;
  auto ok = test::simulate_forked(test::single_fc(1024, 2048), hw, sched::Mode::Cold);
  REQUIRE_FALSE(ok.contains("error"));
  CHECK(ok["inference"]["seconds"].get<double>() > 2000);
}

TEST_CASE("hardening: fuzz findings stay fixed", "[hardening][fuzz]") {
  // fuzz_model_yaml: a map inside a layer's inputs leaked yaml-cpp's "bad conversion".
  auto m = temp_file("fuzz1.yaml", "name: t\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                                   "  - { name: a, op: relu }\n  - { name: b, op: add, inputs: [a, op: relu3, a] }\n");
  expect_input_error(run_cli("info --model " + q(m)), m + ":5", "expected a list of layer names");
}

TEST_CASE("hardening: fuzz_onnx findings stay fixed", "[hardening][fuzz][onnx]") {
  // A Concat with an axis but no inputs and no outputs: the importer defined its output 0, past
  // the end of the (empty) output list (UBSan: member access within null pointer in protobuf's
  // RepeatedPtrField). Every standard node must name an output.
  test::OnnxBuilder b;
  b.input("x", {1, 3, 4, 4});
  b.node("Relu", {"x"}, {"y"});
  test::set_int(b.node("Concat", {}, {}, "cat"), "axis", 1);
  b.g->add_output()->set_name("y");
  auto path = b.save("no_output.onnx");
  auto r = run_cli("info --model " + q(path));
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains("'cat'") && Catch::Contains("has no output"));
}

TEST_CASE("hardening: a constant tensor holding fewer bytes than its dims say is an error, not a crash in shape inference",
          "[hardening][fuzz][onnx]") {
  // fuzz_onnx, 2026-11-26: a Constant of dims [1, 89] (INT64) with one byte of raw data, and an
  // operator nnasim does not know (so --allow-unknown-ops asks the onnx library's shape inference
  // for its shapes): the library copied 712 bytes out of the one (SIGSEGV in a Release build).
  // Every tensor is now checked against its dims before shape inference runs.
  test::OnnxBuilder b;
  b.input("x", {1, 3, 4, 4});
  auto* v = b.node("Constant", {}, {"s"}, "shape")->add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  v->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  v->mutable_t()->add_dims(1);
  v->mutable_t()->add_dims(89);
  v->mutable_t()->set_raw_data(std::string(1, '\x08'));
  b.node("NotAnOperator", {"x", "s"}, {"y"}, "odd");
  b.g->add_output()->set_name("y");
  auto path = b.save("short_constant.onnx");
  auto r = run_cli("info --allow-unknown-ops --model " + q(path));
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains("89 elements but holds 1 bytes of raw data, expected 712"));
}

TEST_CASE("hardening: a zero stride is an error before the onnx library's shape inference divides by it",
          "[hardening][fuzz][onnx]") {
  // fuzz_onnx, 2026-11-26: a Conv with strides [0, 0] in a model whose unknown operator makes
  // --allow-unknown-ops run the onnx library's shape inference: SIGFPE in convPoolShapeInference.
  test::OnnxBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.node("NotAnOperator", {"x"}, {"t"}, "odd");
  auto* pool = b.node("MaxPool", {"t"}, {"y"}, "pool");
  test::set_ints(pool, "kernel_shape", {2, 2});
  test::set_ints(pool, "strides", {0, 0});
  b.g->add_output()->set_name("y");
  auto path = b.save("zero_stride.onnx");
  auto r = run_cli("info --allow-unknown-ops --model " + q(path));
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains("MaxPool node 'pool': strides must be positive, got 0"));
}

TEST_CASE("hardening: a node that does not match its operator's schema is an error before the onnx library's inference",
          "[hardening][fuzz][onnx]") {
  // fuzz_onnx, 2026-11-26: an STFT with one input (its schema needs 2 to 4) after an unknown
  // operator: the library's STFT inference read input 1 (SIGSEGV in a Release build).
  test::OnnxBuilder b(17);
  b.input("x", {1, 4, 4, 4});
  b.init_i64("fl", {16});
  b.node("NotAnOperator", {"x"}, {"u"}, "odd");
  b.node("STFT", {"fl"}, {"t"}, "stft");
  b.node("Relu", {"x"}, {"y"});
  auto r = run_cli("info --allow-unknown-ops --model " + q(b.save("stft.onnx")));
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains("STFT node 'stft' does not match its operator at opset 17") &&
                        Catch::Contains("input size 1 not in range [min=2, max=4]"));
}

TEST_CASE("hardening: a SCALE-Sim layer whose input extents overflow 64 bits is an error", "[hardening][fuzz]") {
  // fuzz_scalesim_csv, 2026-11-26: the input layer's element count, 928632784 x 56 x 928632784
  // channels and pixels, overflowed int64 in Shape::elements() (UBSan).
  auto path = temp_file("overflow.csv", "Layer , 1,\nB2b, 56,000000000000000000000000000928632784, 1, 1,000928632784, 1, 1, 51, 0\x7f\n");  // the fuzzer's bytes
  auto r = run_cli("info --model " + q(path));
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains("must be positive, with at most 2^62 elements"));
}

TEST_CASE("hardening: a sweep naming a path the system cannot look up is an error at its line", "[hardening][fuzz][sweep]") {
  // fuzz_sweep_spec, 2026-11-26: a `hardware:` value with a path component longer than NAME_MAX
  // made std::filesystem::is_regular_file throw "File name too long" (internal error, exit 1).
  // The same for a model path and a model name.
  const std::string longname(300, 'a');
  for (const auto& [hardware, model, line] :
       {std::tuple{longname + "/x", std::string("tinynet"), 2}, std::tuple{std::string("series4-1core"), longname, 3},
        std::tuple{std::string("series4-1core"), "x/" + longname, 3}}) {
    auto spec = temp_file("long_path.yaml", "name: s\nhardware: " + hardware + "\nmodels: [" + model +
                                                "]\naxes: {weight_bits: [8]}\n");
    expect_input_error(run_cli("sweep " + q(spec) + " -o " + q(spec + ".csv")), spec + ":" + std::to_string(line),
                       line == 2 ? "no hardware file" : "unknown model");
  }
}

TEST_CASE("hardening: a Transpose whose perm is empty is an error, not a read past its end", "[hardening][fuzz][onnx]") {
  // fuzz_onnx, 2026-11-26: `perm` given as an empty list on a 4-D input passed the permutation
  // check (it looped over the perm's own entries) and the importer read perm[0] (UBSan: reference
  // binding to null pointer).
  for (const std::vector<int64_t>& perm : {std::vector<int64_t>{}, {0, 1, 2}, {0, 1, 2, 4}, {0, 1, 1, 2}}) {
    test::OnnxBuilder b;
    b.input("x", {1, 3, 4, 4});
    test::set_ints(b.node("Transpose", {"x"}, {"y"}, "t"), "perm", perm);
    auto r = run_cli("info --model " + q(b.save("empty_perm.onnx")));
    INFO("stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Catch::Contains("'t'") && Catch::Contains("is not a permutation of the 4 axes of [1, 3, 4, 4]"));
  }
}

// The importer's own checks, found by reading the importer after the Transpose finding: each of
// these crashed (a-d) or gave a shape ONNX does not (e-i) before its fix, 2026-11-26.
TEST_CASE("hardening: ONNX attribute lists and folded shape arithmetic are checked", "[hardening][onnx]") {
  using graph::load_onnx_model;
  using test::expect_error;
  using test::OnnxBuilder;
  // A rank-0 int64 constant.
  auto scalar = [](OnnxBuilder& b, const std::string& out, int64_t v) {
    auto* a = b.node("Constant", {}, {out})->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    a->mutable_t()->add_int64_data(v);
  };
  SECTION("a) an axis of a rank-0 input (was a null dereference)") {
    OnnxBuilder b;
    b.input("x", {1, 3, 4, 4});
    scalar(b, "c", 5);
    b.init_i64("i", {0});
    b.node("Gather", {"c", "i"}, {"g"}, "gather");
    b.node("Relu", {"x"}, {"y"});
    expect_error([&] { load_onnx_model(b.save("rank0.onnx")); }, {"'gather'", "axis 0 of a rank-0 (scalar) input"});
  }
  SECTION("b) INT64_MIN / -1 in shape arithmetic (was SIGFPE)") {
    OnnxBuilder b;
    b.input("x", {1, 3, 4, 4});
    b.init_i64("a", {std::numeric_limits<int64_t>::min()});
    b.init_i64("m", {-1});
    b.node("Div", {"a", "m"}, {"q"}, "div");
    b.node("Relu", {"x"}, {"y"});
    expect_error([&] { load_onnx_model(b.save("div.onnx")); }, {"'div'", "overflows 64 bits"});
    OnnxBuilder c;
    c.input("x", {1, 3, 4, 4});
    c.init_i64("a", {int64_t(1) << 62});
    c.init_i64("f", {4});
    c.node("Mul", {"a", "f"}, {"q"}, "mul");
    c.node("Relu", {"x"}, {"y"});
    expect_error([&] { load_onnx_model(c.save("mul.onnx")); }, {"'mul'", "overflows 64 bits"});
  }
  SECTION("c) an empty operand against one value (was a read of an empty vector)") {
    OnnxBuilder b;
    b.input("x", {1, 3, 4, 4});
    b.init_i64("e", {});
    b.init_i64("f", {5});
    b.node("Add", {"e", "f"}, {"s"}, "add");
    b.node("Relu", {"x"}, {"y"}, "relu");
    CHECK(test::layer(load_onnx_model(b.save("empty.onnx")), "relu").out == test::S(1, 3, 4, 4));
  }
  SECTION("d) a Split with no output ahead of the onnx library's inference (was SIGFPE)") {
    OnnxBuilder b;
    b.input("x", {1, 4, 4, 4});
    b.node("NotAnOperator", {"x"}, {"t"}, "odd");
    test::set_int(b.node("Split", {"x"}, {}, "split"), "axis", 1);
    expect_error([&] { load_onnx_model(b.save("split.onnx"), /*allow_unknown_ops=*/true); },
                 {"Split node 'split' has no output"});
  }
  SECTION("e) a folded Slice takes every step-th value") {
    // x [2, 3, 4, 4]: Shape[0:4:2] = [2, 4], so Reshape(x, [2, 4, -1]) is [2, 4, 12] (ONNX); it
    // was [2, 3, 16], the first two values.
    OnnxBuilder b;
    b.input("x", {2, 3, 4, 4});
    b.node("Shape", {"x"}, {"s"});
    b.init_i64("st", {0});
    b.init_i64("en", {4});
    b.init_i64("ax", {0});
    b.init_i64("sp", {2});
    b.node("Slice", {"s", "st", "en", "ax", "sp"}, {"sl"});
    b.init_i64("m1", {-1});
    test::set_int(b.node("Concat", {"sl", "m1"}, {"shape"}), "axis", 0);
    b.node("Reshape", {"x", "shape"}, {"r"});
    b.node("Softmax", {"r"}, {"y"}, "softmax");
    const graph::Graph g = load_onnx_model(b.save("slice.onnx"));
    const auto& l = test::layer(g, "softmax");
    CHECK(l.out.c == 12);
    CHECK(l.out.h == 4);
  }
  SECTION("f) negative or overflowing split sizes") {
    for (const std::vector<int64_t>& parts :
         {std::vector<int64_t>{-4, 4, 4}, {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max(), 5}}) {
      OnnxBuilder b;
      b.input("x", {1, 3, 4, 4});
      test::set_ints(b.node("Split", {"x"}, {"a", "b", "c"}, "split"), "split", parts);
      test::set_int(b.g->mutable_node(0), "axis", 3);
      expect_error([&] { load_onnx_model(b.save("split.onnx")); }, {"'split'", "expected sizes of 0 or more"});
    }
  }
  SECTION("g) ConvTranspose output_padding and bias") {
    for (bool bad_bias : {false, true}) {
      OnnxBuilder b;
      b.input("x", {1, 3, 8, 8});
      b.init_zeros("w", {3, 2, 3, 3});
      if (bad_bias) b.init_zeros("b", {7});
      auto* n = b.node("ConvTranspose", bad_bias ? std::vector<std::string>{"x", "w", "b"} : std::vector<std::string>{"x", "w"},
                       {"y"}, "up");
      if (!bad_bias) test::set_ints(n, "output_padding", {60000, 60000});
      expect_error([&] { load_onnx_model(b.save("convt.onnx")); },
                   {"'up'", bad_bias ? "bias 'b' has shape [7]: expected [2]" : "must be less than the stride"});
    }
  }
  SECTION("h) an empty axes list reduces every axis, unless noop_with_empty_axes") {
    for (int noop : {0, 1}) {
      OnnxBuilder b;
      b.input("x", {1, 3, 4, 4});
      auto* n = b.node("ReduceMean", {"x"}, {"r"}, "mean");
      test::set_ints(n, "axes", {});
      if (noop) test::set_int(n, "noop_with_empty_axes", 1);
      b.node("Relu", {"r"}, {"y"}, "relu");
      CHECK(test::layer(load_onnx_model(b.save("reduce.onnx")), "relu").out.elements() == (noop ? 48 : 1));
    }
  }
  SECTION("i) ConstantOfShape, Expand and Pad take no negative extents or repeated axes") {
    OnnxBuilder b;
    b.input("x", {1, 3, 4, 4});
    b.init_i64("shape", {1, -3, 4, 4});
    b.node("ConstantOfShape", {"shape"}, {"c"}, "fill");
    b.node("Relu", {"x"}, {"y"});
    expect_error([&] { load_onnx_model(b.save("cos.onnx")); }, {"'fill'", "dimension -3 is negative"});
    OnnxBuilder p;
    p.input("x", {1, 3, 4, 4});
    p.init_i64("pads", {1, 1, 1, 1});
    p.init_i64("axes", {2, 2});
    p.node("Pad", {"x", "pads", "", "axes"}, {"y"}, "pad");
    expect_error([&] { load_onnx_model(p.save("pad.onnx")); }, {"'pad'", "repeat an axis"});
  }
}

// Found by reading the parsers, 2026-11-26: each was accepted with exit 0 and a wrong answer.
TEST_CASE("hardening: repeated per-width entries, an accumulator without one entry and FP8 widths are errors",
          "[hardening][hw]") {
  const std::string entry8 = "{format: int, weight_bits: 8, act_bits: 8, ";
  // The lookup took the first of two entries: tinynet ran 1.22 ms with 16 then 4096 MACs per
  // cycle, 6.8 us in the other order.
  expect_input_error(run_cli("run --model tinynet --set " +
                             q("mac_array.throughput=[" + entry8 + "macs_per_cycle: 16}, " + entry8 + "macs_per_cycle: 4096}]")),
                     "--set mac_array.throughput", "'mac_array.throughput[1]': repeats entry 0 (int 8x8)");
  expect_input_error(run_cli("run --model tinynet --set " + q("energy.mac=[" + entry8 + "energy: 1 pJ}, " + entry8 + "energy: 2 pJ}]")),
                     "--set energy.mac", "'energy.mac[1]': repeats entry 0");
  expect_input_error(run_cli("run --model tinynet --set " + q("area.mac=[" + entry8 + "area: 1 um2}, " + entry8 + "area: 2 um2}]")),
                     "--set area.mac", "'area.mac[1]': repeats entry 0");
  // 3 bytes hold no 32-bit entry: the capacity floored to 0, which means unbounded.
  expect_input_error(run_cli("run --model tinynet --set " + q("mac_array.accumulator.size=3 B")),
                     "--set mac_array.accumulator.size", "3 B holds no 32-bit partial sum");
  CHECK(run_cli("run --model tinynet --set " + q("mac_array.accumulator.size=4 B")).status == 0);
  // FP8 is 8 bits: 2-bit FP8 weights were costed as 2 bits.
  expect_input_error(run_cli("run --model tinynet --set " +
                             q("mac_array.throughput=[{format: fp8-e4m3, weight_bits: 4, act_bits: 8, macs_per_cycle: 16}]")),
                     "--set mac_array.throughput", "fp8-e4m3 operands are 8 bits, not 4x8");
  expect_input_error(run_cli("run --model tinynet --number-format fp8-e4m3 --weight-bits 4"),
                     source_dir() + "/models/tinynet.yaml:8", "fp8-e4m3 has 8-bit operands, not 4-bit weights");
  auto f8 = temp_file("f8.yaml", "name: t\ndefaults: { format: fp8-e5m2, weight_bits: 8, act_bits: 6 }\n"
                                 "input: { shape: [1, 3, 8, 8] }\nlayers:\n  - { name: c, op: conv, out_channels: 4, kernel: 3 }\n");
  expect_input_error(run_cli("info --model " + q(f8)), f8 + ":3", "fp8-e5m2 has 8-bit operands");
}

TEST_CASE("hardening: dilated pooling and a pad as large as the window are errors", "[hardening][graph]") {
  // A pooling dilation was read and ignored (3x30x30 where PyTorch gives 28x28); a pad of 3 on a
  // 2-wide window made windows with no input.
  expect_input_error(run_cli("info --model " + q(model_with("dpool.yaml", "{name: p, op: maxpool, kernel: 3, stride: 1, dilation: 2}"))),
                     test::temp_dir().string() + "/dpool.yaml:4",
                     "dilated pooling is not supported");
  expect_input_error(run_cli("info --model " + q(model_with("ppool.yaml", "{name: p, op: maxpool, kernel: 2, stride: 2, pad: 3}"))),
                     test::temp_dir().string() + "/ppool.yaml:4", "pad 3 is not smaller than the kernel 2");
  CHECK(run_cli("info --model " + q(model_with("okpool.yaml", "{name: p, op: maxpool, kernel: 3, stride: 2, pad: 1}"))).status == 0);
}

TEST_CASE("hardening: a model or trace key of another operator is an error, and only the YAML format's operators load",
          "[hardening][graph][trace]") {
  // {op: relu, stride: 2} did nothing; {op: softmax} loaded at 1 vector op per element (ONNX's
  // importer costs 5), and {op: convtranspose} failed with "'out_channels' is 0".
  expect_input_error(run_cli("info --model " + q(model_with("k.yaml", "{name: r, op: relu, stride: 2}"))),
                     test::temp_dir().string() + "/k.yaml:4", "'layers[0].stride': does not apply to op 'relu'");
  expect_input_error(run_cli("info --model " + q(model_with("c.yaml", "{name: c, op: conv, out_channels: 4, kernel: 3, out_features: 9}"))),
                     test::temp_dir().string() + "/c.yaml:4", "'layers[0].out_features': does not apply to op 'conv'");
  for (const char* op : {"softmax", "layernorm", "convtranspose", "matmul"})
    expect_input_error(run_cli("info --model " + q(model_with(std::string(op) + ".yaml", std::string("{name: x, op: ") + op + "}"))),
                       test::temp_dir().string() + "/" + op + ".yaml:4", std::string("unknown op '") + op + "'");
  // Traces: an activation with a kernel, an input with fused activations, act 'none'.
  auto trace = [](const std::string& name, const std::string& second) {
    return temp_file(name, "{\"nnasim_trace\":1}\n{\"name\":\"x\",\"op\":\"input\",\"output_shape\":[1,3,8,8],\"act_bits\":8,"
                           "\"format\":\"int\"}\n" + second + "\n");
  };
  const std::string act = "{\"name\":\"r\",\"op\":\"activation\",\"inputs\":[\"x\"],\"output_shape\":[1,3,8,8],\"act_bits\":8,"
                          "\"format\":\"int\",\"act\":\"relu\"";
  CHECK(run_cli("replay --trace " + q(trace("ok.jsonl", act + "}"))).status == 0);
  auto t1 = trace("kernel.jsonl", act + ",\"kernel\":[0,0]}");
  expect_input_error(run_cli("replay --trace " + q(t1)), t1 + ":3", "field 'kernel' does not apply to op 'activation'");
  auto t2 = trace("none.jsonl", "{\"name\":\"r\",\"op\":\"activation\",\"inputs\":[\"x\"],\"output_shape\":[1,3,8,8],\"act_bits\":8,"
                                "\"format\":\"int\",\"act\":\"none\"}");
  expect_input_error(run_cli("replay --trace " + q(t2)), t2 + ":3", "unknown activation 'none'");
}

TEST_CASE("hardening: SCALE-Sim names that collide once renamed get the next free suffix", "[hardening][scalesim]") {
  // Rows a, a, a_2 failed with "'a_2/ifmap' is used twice"; SCALE-Sim runs them.
  const std::string head = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
  const std::string row = ", 8, 8, 3, 3, 4, 4, 1,\n";
  for (const auto& names : {std::vector<std::string>{"a", "a", "a_2"}, {"b", "b/ifmap"}}) {
    std::string text = head;
    for (const auto& n : names) text += n + row;
    auto r = run_cli("info --format json --model " + q(temp_file("names.csv", text)));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(nlohmann::json::parse(r.out)["layers"].size() == 2 * names.size() - 1);  // the first ifmap is the network input
  }
}

TEST_CASE("hardening: a quantity's number is decimal", "[hardening][hw]") {
  // strtod took 0x10 GB/s as 16 GB/s, and "inf"/"nan" only failed later as out of range.
  for (const char* v : {"0x10 GB/s", "nan GB/s", "inf GB/s"})
    expect_input_error(run_cli("run --model tinynet --set " + q(std::string("dram.bandwidth=") + v)), "--set dram.bandwidth",
                       "expected a decimal number followed by one of");
  CHECK(run_cli("run --model tinynet --set " + q("dram.bandwidth=1.5e1 GB/s")).status == 0);
}
