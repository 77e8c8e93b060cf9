// Issue 11, the architect's toolkit: OCM cost and area that follow capacity, accuracy per bit depth,
// multi-objective Pareto fronts, run comparison, sweep pictures and fast (forked) sweeps.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "sim/config/hw_config.h"
#include "sim/energy/area.h"
#include "sim/energy/memory_model.h"
#include "sim/sweep/pareto.h"
#include "sim/sweep/spec.h"

using namespace nnasim;
using namespace nnasim::test;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
HardwareSpec series4(const std::string& ocm, std::vector<config::Override> more = {}) {
  more.push_back({"ocm.size", ocm, {"test", 0}});
  return config::load_hardware(hw_path("series4-1core"), more);
}

}  // namespace

TEST_CASE("memory model: Horowitz's SRAM reads at 8 KB, 32 KB and 1 MB are reproduced", "[toolkit][energy]") {
  // Horowitz ISSCC 2014 (45 nm): 64-bit reads of 10, 20 and 100 pJ, i.e. 1.25, 2.5, 12.5 pJ per byte.
  CHECK(energy::sram_read_j_per_byte_45nm(8 * 1024) == Approx(1.25e-12).epsilon(1e-12));
  CHECK(energy::sram_read_j_per_byte_45nm(32 * 1024) == Approx(2.5e-12).epsilon(1e-12));
  CHECK(energy::sram_read_j_per_byte_45nm(1024 * 1024) == Approx(12.5e-12).epsilon(1e-12));
  // Between 8 KB and 32 KB energy doubles for 4x capacity: sqrt law; at 16 KB, 10 x sqrt(2) pJ / 8.
  CHECK(energy::sram_read_j_per_byte_45nm(16 * 1024) == Approx(10e-12 * std::sqrt(2.0) / 8).epsilon(1e-12));
  // Leakage: 1 nW per bit; 1 MiB = 8 Mi bits.
  CHECK(energy::sram_leakage_w(1 << 20) == Approx(8.0 * (1 << 20) * 1e-9));
}

TEST_CASE("OCM energy, leakage and area grow with ocm.size, and a pinned value stays", "[toolkit][energy]") {
  double prev_e = 0, prev_l = 0, prev_a = 0;
  for (const char* size : {"64 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB"}) {
    HardwareSpec hw = series4(size);
    INFO(size);
    CHECK(!hw.energy.ocm_read_pinned);
    CHECK(hw.energy.ocm_read_j_per_byte > prev_e);
    CHECK(hw.energy.ocm_write_j_per_byte == hw.energy.ocm_read_j_per_byte);
    CHECK(hw.energy.ocm_leakage_w > prev_l);
    auto area = energy::area_of(hw);
    REQUIRE(area);
    CHECK(area->ocm > prev_a);
    CHECK(area->total() > area->ocm);
    prev_e = hw.energy.ocm_read_j_per_byte, prev_l = hw.energy.ocm_leakage_w, prev_a = area->ocm;
  }
  // series4-1core at 1 MiB: Horowitz's 1 MB read (12.5 pJ/B) x its energy_scale 0.25.
  CHECK(series4("1 MiB").energy.ocm_read_j_per_byte == Approx(3.125e-12).epsilon(1e-12));
  // OCM area: 8 Mi bits x 600 lambda^2 (lambda = 45 nm) x area_scale 0.1264.
  CHECK(energy::area_of(series4("1 MiB"))->ocm == Approx(8.0 * (1 << 20) * 1.215e-6 * 0.1264).epsilon(1e-9));
  // The accumulator memory (256 KiB in series4-1core.yaml) at the same area per bit.
  CHECK(energy::area_of(series4("1 MiB"))->accumulator == Approx(8.0 * (256 << 10) * 1.215e-6 * 0.1264).epsilon(1e-9));
  // Pinned: the same figures at every size.
  std::vector<config::Override> pin = {{"energy.ocm_read", "5 pJ/B", {"test", 0}},
                                       {"energy.ocm_write", "6 pJ/B", {"test", 0}},
                                       {"energy.ocm_leakage", "1 mW", {"test", 0}}};
  for (const char* size : {"64 KiB", "16 MiB"}) {
    HardwareSpec hw = series4(size, pin);
    CHECK(hw.energy.ocm_read_pinned);
    CHECK(hw.energy.ocm_read_j_per_byte == Approx(5e-12));
    CHECK(hw.energy.ocm_write_j_per_byte == Approx(6e-12));
    CHECK(hw.energy.ocm_leakage_w == Approx(1e-3));
  }
  // End to end: the report carries the cost it used, and a bigger OCM costs more area and leakage.
  auto small = run_cli_json(fmt::format("run --model tinynet --hw {} --set ocm.size='256 KiB'", q(hw_path("series4-1core"))));
  auto big = run_cli_json(fmt::format("run --model tinynet --hw {} --set ocm.size='8 MiB'", q(hw_path("series4-1core"))));
  CHECK(big["ocm"]["read_joules_per_byte"].get<double>() > small["ocm"]["read_joules_per_byte"].get<double>());
  CHECK(big["area"]["mm2"].get<double>() > small["area"]["mm2"].get<double>());
  CHECK(big["energy"]["static_watts"].get<double>() > small["energy"]["static_watts"].get<double>());
  CHECK(small["ocm"]["cost"] == "capacity");
  // Energy = counters x table: the OCM bucket is bytes x the per-byte figures the report states.
  const double ocm_j = small["ocm"]["read_bytes"].get<double>() * small["ocm"]["read_joules_per_byte"].get<double>() +
                       small["ocm"]["write_bytes"].get<double>() * small["ocm"]["write_joules_per_byte"].get<double>();
  CHECK(small["energy"]["breakdown"]["ocm"].get<double>() == Approx(ocm_j).epsilon(1e-9));
  auto pinned = run_cli_json(fmt::format("run --model tinynet --hw {} --set energy.ocm_read='5 pJ/B'", q(hw_path("series4-1core"))));
  CHECK(pinned["ocm"]["cost"] == "pinned");
  CHECK(pinned["ocm"]["read_joules_per_byte"].get<double>() == Approx(5e-12));
}

TEST_CASE("area: MAC array by its largest mode, per core, and TOPS/mm^2", "[toolkit][area]") {
  HardwareSpec hw = series4("1 MiB");
  auto a = energy::area_of(hw);
  REQUIRE(a);
  // 4096 8x8 MACs of 419 um^2 (Horowitz 8-bit mult 282 + 32-bit add 137) beat 1024 16x16 MACs of
  // 1265 um^2; x (16/45)^2.
  CHECK(a->mac == Approx(4096 * 419e-6 * 0.1264).epsilon(1e-9));
  HardwareSpec two = config::load_hardware(hw_path("series4-1core"), {{"cores.count", "2", {"test", 0}}});
  CHECK(energy::area_of(two)->total() == Approx(2 * a->total()).epsilon(1e-12));
  CHECK(energy::peak_tops(hw) == Approx(2.0 * 4096 * 1.5e9 / 1e12));
  // No area table: no area in the report (SCALE-Sim's machines).
  CHECK(!energy::area_of(config::load_hardware(hw_path("scalesim-32x32-os"))));
  // A MAC width the area table does not cover is an error at its line.
  std::string bad = temp_file("area_bad.yaml", slurp(hw_path("series4-1core")) + "");
  auto r = run_cli(fmt::format("run --model tinynet --hw {} --set area.mac='[{{format: int, weight_bits: 8, act_bits: 8, area: 1 um2}}]'",
                               q(bad)));
  CHECK(r.status == 2);
  CHECK(r.err.find("no area entry covers the array's int 16x8-bit MACs") != std::string::npos);
}

TEST_CASE("accuracy per bit depth: a depth without a source is unknown, never the FP32 figure", "[toolkit][accuracy]") {
  std::string spec = temp_file("acc.yaml", fmt::format("hardware: {}\nmodels: [resnet50, vgg16]\naxes:\n  weight_bits: [8, 6, 4]\n",
                                                       hw_path("series4-1core")));
  auto s = sweep::load_sweep(spec, {source_dir()});
  REQUIRE(s.points.size() == 6);
  // resnet50 at 8 bits: torchvision's int8 ResNet50_QuantizedWeights.IMAGENET1K_FBGEMM_V1, 75.920 %.
  CHECK(s.points[0].top1 == "75.92");
  CHECK(s.points[0].top1_source.find("IMAGENET1K_FBGEMM_V1") != std::string::npos);
  for (size_t i = 0; i < s.points.size(); ++i) {
    INFO(s.points[i].model << " " << *s.points[i].weight_bits);
    if (i != 0) CHECK(s.points[i].top1 == "unknown");
    CHECK(s.points[i].top1 != s.points[i].top1_fp32);
  }
  CHECK(s.points[1].top1_fp32 == "76.13");
  CHECK(s.points[3].top1_fp32 == "71.59");
  // Another number format has no published figure here either.
  std::string lns = temp_file("acc_lns.yaml", fmt::format("hardware: {}\nmodels: [resnet50]\nset:\n  number_format: fp8-e4m3\n",
                                                          hw_path("series4-1core")));
  CHECK(sweep::load_sweep(lns, {source_dir()}).points[0].top1 == "unknown");
}

TEST_CASE("pareto: a hand-made front over three objectives", "[toolkit][pareto]") {
  // Minimise seconds and energy, maximise top1. a, b and c trade off; d is dominated by a (slower,
  // more energy, less accurate); e equals a (kept); f is dominated by b on all three; g failed.
  std::string csv = temp_file("front3.csv",
                              "model,seconds,energy_joules,top1,status\n"
                              "a,1,10,70,ok\n"
                              "b,2,5,72,ok\n"
                              "c,3,20,80,ok\n"
                              "d,1.5,11,69,ok\n"
                              "e,1,10,70,ok\n"
                              "f,2.5,6,71,ok\n"
                              "g,0.1,0.1,99,error: failed\n");
  auto t = sweep::read_table(csv);
  sweep::ParetoOptions o;
  o.objectives = {{"seconds", false}, {"energy_joules", false}, {"top1", true}};
  auto res = sweep::pareto_front(t, o);
  std::vector<std::string> names;
  for (const auto& p : res.front) names.push_back(t.rows[p.row][0]);
  CHECK(names == std::vector<std::string>{"a", "e", "b", "c"});
  auto r = run_cli(fmt::format("pareto {} -O seconds -O energy_joules:min -O top1:max --format csv", q(csv)));
  REQUIRE(r.status == 0);
  CHECK(r.out == "model,seconds,energy_joules,top1,status\na,1,10,70,ok\ne,1,10,70,ok\nb,2,5,72,ok\nc,3,20,80,ok\n");
}

TEST_CASE("pareto: a unit-bearing column compares in SI units", "[toolkit][pareto]") {
  // ocm.size as written by a sweep: 1000 kB < 1 MiB < 2 MB; maximise size, minimise seconds.
  std::string csv = temp_file("units.csv",
                              "ocm.size,dram.bandwidth,seconds,status\n"
                              "1 MiB,12 GB/s,2,ok\n"
                              "1000 kB,12 GB/s,2,ok\n"
                              "2 MB,6 GB/s,3,ok\n"
                              "512 KiB,24 GB/s,1,ok\n");
  auto r = run_cli(fmt::format("pareto {} -O ocm.size:max -O seconds --format csv", q(csv)));
  REQUIRE(r.status == 0);
  // 1000 kB is dominated by 1 MiB (1,048,576 B, same seconds).
  CHECK(r.out == "ocm.size,dram.bandwidth,seconds,status\n2 MB,6 GB/s,3,ok\n1 MiB,12 GB/s,2,ok\n512 KiB,24 GB/s,1,ok\n");
  auto bw = run_cli(fmt::format("pareto {} -O dram.bandwidth -O seconds --format csv", q(csv)));
  REQUIRE(bw.status == 0);
  CHECK(bw.out.find("2 MB,6 GB/s,3,ok\n") != std::string::npos);
}

TEST_CASE("pareto: every error names its column or line and exits 2", "[toolkit][pareto]") {
  std::string csv = temp_file("perr.csv", "model,hardware,seconds,top1,status\na,hw,1,unknown,ok\nb,hw,2,unknown,ok\n");
  auto unknown_col = run_cli(fmt::format("pareto {} -O latency", q(csv)));
  CHECK(unknown_col.status == 2);
  CHECK(unknown_col.err == fmt::format("error: {}:1: no column 'latency': expected one of model, hardware, seconds, top1, status\n", csv));
  auto non_numeric = run_cli(fmt::format("pareto {} -O model", q(csv)));
  CHECK(non_numeric.status == 2);
  CHECK(non_numeric.err.rfind(fmt::format("error: {}:1: column 'model' holds no number", csv), 0) == 0);
  // The default objectives (seconds, top1) on a model without published accuracy: an error, not an empty table.
  auto no_top1 = run_cli(fmt::format("pareto {}", q(csv)));
  CHECK(no_top1.status == 2);
  CHECK(no_top1.err.find("column 'top1' holds no number") != std::string::npos);
  CHECK(no_top1.out.empty());
  std::string failed = temp_file("pfail.csv", "model,seconds,status\na,1,error: x\n");
  auto empty = run_cli(fmt::format("pareto {} -O seconds", q(failed)));
  CHECK(empty.status == 2);
  CHECK(empty.err == fmt::format("error: {}: no row has status ok: the front is empty\n", failed));
  auto bad_goal = run_cli(fmt::format("pareto {} -O seconds:fastest", q(csv)));
  CHECK(bad_goal.status == 2);
  CHECK(bad_goal.err.find("expected COLUMN, COLUMN:min or COLUMN:max") != std::string::npos);
  std::string ragged = temp_file("pragged.csv", "model,seconds,status\na,1,ok\nb,2\nc,3,ok\n");
  auto r = run_cli(fmt::format("pareto {} -O seconds", q(ragged)));
  CHECK(r.status == 2);
  CHECK(r.err == fmt::format("error: {}:3: 2 fields, but the header has 3\n", ragged));
  // --accuracy fp32 uses the FP32 column and says so.
  std::string fp = temp_file("pfp32.csv", "model,seconds,top1,top1_fp32,status\na,1,unknown,70,ok\nb,2,unknown,75,ok\n");
  auto f = run_cli(fmt::format("pareto {} --accuracy fp32", q(fp)));
  REQUIRE(f.status == 0);
  CHECK(f.out.find("the FP32 top-1 is used for every row") != std::string::npos);
  CHECK(f.out.find("\na  ") != std::string::npos);
  CHECK(f.out.find("\nb  ") != std::string::npos);
}

TEST_CASE("pareto: reads a sweep's JSON Lines and a last row without a newline", "[toolkit][pareto]") {
  std::string spec = temp_file("pj.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n  ocm.size: [256 KiB, 1 MiB]\n"
                                                      "  dram.bandwidth: [6 GB/s, 24 GB/s]\n",
                                                      hw_path("series4-1core")));
  std::string jl = temp_file("pj.jsonl", ""), csv = temp_file("pj.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(jl))).status == 0);
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(csv))).status == 0);
  auto from_jsonl = run_cli(fmt::format("pareto {} -O seconds -O energy_joules -O area.mm2 --format csv --columns ocm.size", q(jl)));
  INFO(from_jsonl.err);
  REQUIRE(from_jsonl.status == 0);
  auto from_csv = run_cli(fmt::format("pareto {} -O seconds -O energy_joules -O area_mm2 --format json", q(csv)));
  REQUIRE(from_csv.status == 0);
  // Same front from both files.
  auto j = nlohmann::json::parse(from_csv.out)["front"];
  auto t = sweep::read_table(jl);
  CHECK(t.rows.size() == 4);
  CHECK(t.column("energy.breakdown.ocm") >= 0);
  CHECK(t.column("model") == 2);  // the point's columns first, not clobbered by the report's
  CHECK(t.rows[0][2] == "tinynet");
  auto tj = run_cli(fmt::format("pareto {} -O seconds -O energy_joules -O area.mm2 --format json", q(jl)));
  CHECK(nlohmann::json::parse(tj.out)["front"].size() == j.size());
  // A CSV whose last line has no '\n' keeps that row.
  std::string text = slurp(csv);
  std::string cut = temp_file("pj_nonl.csv", text.substr(0, text.size() - 1));
  CHECK(sweep::read_table(cut).rows.size() == 4);
  // A torn last line (killed mid-write) is left out, and the command says so.
  std::string torn = temp_file("pj_torn.csv", text + "256 KiB,6 GB/s,tin");
  int n = 0;
  CHECK(sweep::read_table(torn, &n).rows.size() == 4);
  CHECK(n == 1);
}

TEST_CASE("compare: a run against itself has ratios of exactly 1", "[toolkit][compare]") {
  std::string a = temp_file("cmp_a.json", "");
  REQUIRE(run_cli(fmt::format("run --model tinynet --hw {} --format json -o {}", q(hw_path("series4-1core")), q(a))).status == 0);
  auto r = run_cli(fmt::format("compare {} {} --format json", q(a), q(a)));
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  int ratios = 0;
  for (const auto& [k, m] : j["totals"].items()) {
    INFO(k);
    REQUIRE(m["ratio"].is_number());
    CHECK(m["ratio"].get<double>() == 1.0);
    ++ratios;
  }
  for (const auto& l : j["layers"]) {
    CHECK(l["in"] == "both");
    for (const char* k : {"seconds", "dram_bytes", "energy_joules"}) {
      CHECK(l[k]["ratio"].get<double>() == 1.0);
      ++ratios;
    }
  }
  CHECK(ratios > 20);
  auto csv = run_cli(fmt::format("compare {} {} --format csv", q(a), q(a)));
  REQUIRE(csv.status == 0);
  std::istringstream in(csv.out);
  std::string line;
  std::getline(in, line);
  CHECK(line == "layer,op,in,metric,a,b,ratio");
  while (std::getline(in, line)) CHECK(line.substr(line.rfind(',') + 1) == "1");
  // A bigger OCM: the table shows the changes, biggest first; a file that is not a report is an error.
  std::string b = temp_file("cmp_b.json", "");
  REQUIRE(run_cli(fmt::format("run --model tinynet --hw {} --set ocm.size='8 MiB' --format json -o {}",
                              q(hw_path("series4-1core")), q(b))).status == 0);
  auto t = run_cli(fmt::format("compare {} {}", q(a), q(b)));
  REQUIRE(t.status == 0);
  CHECK(t.out.find("area_mm2") != std::string::npos);
  std::string junk = temp_file("cmp_junk.json", "{\"model\": 1}\n");
  auto e = run_cli(fmt::format("compare {} {}", q(a), q(junk)));
  CHECK(e.status == 2);
  CHECK(e.err.rfind(fmt::format("error: {}:1: not a run report", junk), 0) == 0);
}

TEST_CASE("fast sweep: every point equals nnasim run byte for byte", "[toolkit][sweep]") {
  std::string spec = temp_file("fast.yaml", fmt::format("hardware: {}\nmodels: [tinynet, mobilenet_v2]\naxes:\n"
                                                        "  ocm.size: [1 kB, 512 KiB]\n  cores.count: [1, 2]\n  weight_bits: [8, 4]\n"
                                                        "  dram.bandwidth: [8 GB/s, 24 GB/s]\n",
                                                        hw_path("series4-1core")));
  std::string jl = temp_file("fast.jsonl", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(jl))).status == 0);
  auto s = sweep::load_sweep(spec, {source_dir()});
  std::istringstream in(slurp(jl));
  std::string line;
  size_t i = 0, failed = 0;
  while (std::getline(in, line)) {
    REQUIRE(i < s.points.size());
    auto rec = nlohmann::ordered_json::parse(line);
    // The point's own command, run as a separate program.
    std::string args;
    auto argv = s.points[i].argv("nnasim");
    for (size_t k = 1; k < argv.size(); ++k) args += " " + q(argv[k]);
    auto r = run_cli(args);
    INFO(args);
    if (rec["status"] == "ok") {
      REQUIRE(r.status == 0);
      CHECK(nlohmann::ordered_json::parse(r.out).dump() == rec["report"].dump());
    } else {
      ++failed;
      CHECK(r.status == 2);
      CHECK(rec["status"].get<std::string>() + "\n" == r.err);
    }
    ++i;
  }
  CHECK(i == s.points.size());
  CHECK(failed > 0);  // 1 kB of OCM cannot hold a layer: the error rows must match too
  // And the CSV equals the one written by spawning `nnasim run` per point.
  std::string a = temp_file("fast_fork.csv", ""), b = temp_file("fast_spawn.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(a))).status == 0);
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q --spawn", q(spec), q(b))).status == 0);
  CHECK(slurp(a) == slurp(b));
}

TEST_CASE("plot_sweep.py draws the pictures of a two-axis hardware sweep", "[toolkit][plot]") {
  if (!fs::exists("/usr/bin/python3")) {
    WARN("/usr/bin/python3 not found: skipping the plot script");
    return;
  }
  std::string spec = temp_file("plot2.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n"
                                                         "  ocm.size: [256 KiB, 512 KiB, 1 MiB]\n"
                                                         "  dram.bandwidth: [6 GB/s, 12 GB/s, 24 GB/s]\n",
                                                         hw_path("series4-1core")));
  std::string csv = temp_file("plot2.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(csv))).status == 0);
  fs::path out = fs::path(csv).parent_path() / "plot2";
  fs::remove_all(out);
  auto r = run_shell(fmt::format("/usr/bin/python3 {}/scripts/plot_sweep.py {} -o {} --metrics seconds,energy_joules "
                                 "--pareto seconds,energy_joules 2>&1",
                                 q(source_dir()), q(csv), q(out.string())));
  INFO(r.out);
  REQUIRE(r.status == 0);
  if (r.out.find("matplotlib not available") != std::string::npos) {
    WARN("matplotlib not available: skipping the plot check");
    return;
  }
  for (const char* f : {"seconds_vs_ocm.size.png", "seconds_vs_dram.bandwidth.png", "energy_joules_vs_ocm.size.png",
                        "energy_joules_vs_dram.bandwidth.png", "heatmap_seconds_tinynet.png",
                        "heatmap_energy_joules_tinynet.png", "pareto_seconds_energy_joules.png"}) {
    fs::path png = out / f;
    INFO(png);
    REQUIRE(fs::exists(png));
    CHECK(fs::file_size(png) > 1000);
  }
}
