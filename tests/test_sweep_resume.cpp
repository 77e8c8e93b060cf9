// --resume keeps a finished row only when re-running its point would give that row again: the
// record of a sweep's inputs (sim/sweep/provenance.h) beside its results file.
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <regex>
#include <sstream>

#include "helpers.h"
#include "sim/common/checksum.h"

using nnasim::test::expect_input_error;
using nnasim::test::q;
using nnasim::test::run_cli;
using nnasim::test::source_dir;
using nnasim::test::temp_dir;
using nnasim::test::temp_file;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
}

// A copy of series4-1core and of tinynet in this test's folder, and a sweep of 4 points over them.
struct Sweep {
  std::string hw, model, spec;
  Sweep() {
    hw = temp_file("hw.yaml", slurp(source_dir() + "/configs/hw/series4-1core.yaml"));
    model = temp_file("net.yaml", slurp(source_dir() + "/models/tinynet.yaml"));
    spec = temp_file("resume.yaml", "hardware: " + hw + "\nmodels: [" + model +
                                        "]\naxes:\n  ocm.size: [256 KiB, 1 MiB]\n  weight_bits: [8, 4]\n");
  }
  std::string run(const std::string& out, const std::string& extra = "") const {
    auto r = run_cli("sweep " + q(spec) + " -o " + q(out) + " -j 2 " + extra);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.err;
  }
};

}  // namespace

TEST_CASE("checksum64: pinned values of its definition", "[sweep][resume]") {
  // The record's checksums must not change between builds. These values of the definition in
  // sim/common/checksum.h (FNV-1a over little-endian 8-byte words with h ^= h >> 29 after each,
  // the tail bytes, the length, then SplitMix64's finaliser) were computed by a separate Python
  // implementation of it.
  CHECK(nnasim::checksum_hex("") == "25fc6dd36ce04b20");
  CHECK(nnasim::checksum_hex("abc") == "751395ab9f7be83c");
  CHECK(nnasim::checksum_hex("0123456789abcdefXYZ") == "6b9c98e9f6c7e0b8");
  // Every byte counts, and so does the length.
  CHECK(nnasim::checksum64("abcdefgh") != nnasim::checksum64("abcdefgi"));
  CHECK(nnasim::checksum64(std::string(8, '\0')) != nnasim::checksum64(std::string(9, '\0')));
}

TEST_CASE("sweep --resume: a changed hardware or model file runs its points again", "[sweep][resume]") {
  Sweep s;
  const std::string out = temp_file("r.csv", "");
  s.run(out, "-q");
  const std::string record = out + ".inputs.json";
  REQUIRE(fs::exists(record));
  const std::string before = slurp(out);

  // Nothing changed: every row is kept, the file and its record stay byte for byte.
  const std::string record_before = slurp(record);
  CHECK_THAT(s.run(out, "--resume"), Catch::Contains("0 run (0 failed), 4 kept"));
  CHECK(slurp(out) == before);
  CHECK(slurp(record) == record_before);

  // The DRAM bandwidth of the hardware file halves: every row was made with the old one.
  std::string hw = slurp(s.hw);
  replace_once(hw, "bandwidth: 12 GB/s", "bandwidth: 6 GB/s");
  std::ofstream(s.hw) << hw;
  const std::string fresh = temp_file("fresh.csv", "");
  s.run(fresh, "-q");
  REQUIRE(slurp(fresh) != before);
  std::string err = s.run(out, "--resume");
  CHECK_THAT(err, Catch::Contains("4 finished row(s) run again: their hardware file, model file or settings changed"));
  CHECK_THAT(err, Catch::Contains("4 run (0 failed)"));
  CHECK(slurp(out) == slurp(fresh));
  CHECK(slurp(record) == slurp(fresh + ".inputs.json"));

  // A comment in the model file: the bytes changed, so its points run again (the rows come out the same).
  std::ofstream(s.model, std::ios::app) << "# edited\n";
  err = s.run(out, "--resume");
  CHECK_THAT(err, Catch::Contains("4 finished row(s) run again"));
  CHECK(slurp(out) == slurp(fresh));
}

TEST_CASE("sweep --resume: an extended sweep keeps the rows of the points it had", "[sweep][resume]") {
  Sweep s;
  const std::string out = temp_file("r.csv", "");
  s.run(out, "-q");
  // One more weight depth: the 4 old points keep their rows, the 2 new ones run.
  std::string spec = slurp(s.spec);
  replace_once(spec, "weight_bits: [8, 4]", "weight_bits: [8, 6, 4]");
  std::ofstream(s.spec) << spec;
  CHECK_THAT(s.run(out, "--resume"), Catch::Contains("2 run (0 failed), 4 kept"));
  const std::string fresh = temp_file("fresh.csv", "");
  s.run(fresh, "-q");
  CHECK(slurp(out) == slurp(fresh));
  // A fixed setting of every point (no column) changes every point's inputs.
  spec = slurp(s.spec);
  replace_once(spec, "axes:", "set: { dram.latency: 200 ns }\naxes:");
  std::ofstream(s.spec) << spec;
  CHECK_THAT(s.run(out, "--resume"), Catch::Contains("6 finished row(s) run again"));
}

TEST_CASE("sweep --resume: rows of another executable run again, rows without a record are refused",
          "[sweep][resume]") {
  Sweep s;
  const std::string out = temp_file("r.csv", "");
  s.run(out, "-q");
  const std::string record = out + ".inputs.json";
  const std::string rows = slurp(out);

  // Another executable wrote the rows (its checksum differs): all of them run again.
  std::string r = slurp(record);
  r = std::regex_replace(r, std::regex("\"executable\":\"[0-9a-f]{16}\""), "\"executable\":\"0000000000000000\"");
  std::ofstream(record) << r;
  CHECK_THAT(s.run(out, "--resume"), Catch::Contains("4 finished row(s) run again: another nnasim executable wrote them"));
  CHECK(slurp(out) == rows);

  // No record: nothing tells which inputs made the rows. Refused, and the results are untouched.
  fs::remove(record);
  expect_input_error(run_cli("sweep " + q(s.spec) + " -o " + q(out) + " --resume"), record,
                     "is missing, so the 4 finished row(s) of " + out + " cannot be traced to their inputs");
  CHECK(slurp(out) == rows);
  CHECK(!fs::exists(record));
  // Without --resume the sweep starts afresh and writes the record.
  s.run(out, "-q");
  CHECK(fs::exists(record));

  // A record that is not one.
  for (const char* bad : {"{", "[]", "{\"format\":\"nnasim sweep inputs 1\",\"executable\":\"x\",\"points\":[[1]]}"}) {
    std::ofstream(record) << bad;
    expect_input_error(run_cli("sweep " + q(s.spec) + " -o " + q(out) + " --resume"), record,
                       "not a record of a sweep's inputs");
    CHECK(slurp(out) == rows);
  }
  // The record is an output like the results: never a directory or a symlink.
  fs::remove(record);
  fs::create_directory(record);
  expect_input_error(run_cli("sweep " + q(s.spec) + " -o " + q(out)), record, "will not replace this");
}

TEST_CASE("sweep --resume: an empty results file with no record starts afresh", "[sweep][resume]") {
  // Nothing finished, nothing to trace: the record is only needed for rows that would be kept.
  Sweep s;
  const std::string out = temp_file("r.csv", "");
  CHECK_THAT(s.run(out, "--resume"), Catch::Contains("4 run (0 failed)"));
  CHECK(fs::exists(out + ".inputs.json"));
}

TEST_CASE("sweep --resume: an error row whose file path changed runs again, ok rows are kept", "[sweep][resume]") {
  // An input error's status names the model file as the sweep found it ("net.yaml:13" from the
  // spec's folder, "DIR/net.yaml:13" from above it): the row is only right for that path.
  const fs::path dir = temp_dir() / "paths";
  fs::create_directories(dir);
  std::ofstream(dir / "net.yaml") << slurp(source_dir() + "/models/tinynet.yaml");
  std::ofstream(dir / "s.yaml") << "hardware: series4-1core\nmodels: [./net.yaml]\naxes:\n  ocm.size: [1 kB, 1 MiB]\n";
  const std::string exe = NNASIM_BINARY;
  auto in_dir = nnasim::test::run_shell("cd " + q(dir.string()) + " && " + q(exe) + " sweep s.yaml -o r.csv -q");
  REQUIRE(in_dir.status == 0);
  CHECK_THAT(slurp((dir / "r.csv").string()), Catch::Contains("\"error: net.yaml:13: layer 'pw2' does not fit in OCM"));
  // The same sweep by its full path: the error row runs again, the ok row is kept.
  auto resumed = run_cli("sweep " + q((dir / "s.yaml").string()) + " -o " + q((dir / "r.csv").string()) + " --resume");
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.err, Catch::Contains("1 finished row(s) run again"));
  CHECK_THAT(resumed.err, Catch::Contains("1 run (1 failed), 1 kept"));
  auto fresh = run_cli("sweep " + q((dir / "s.yaml").string()) + " -q");
  CHECK(slurp((dir / "r.csv").string()) == fresh.out);
  CHECK_THAT(fresh.out, Catch::Contains("\"error: " + (dir / "net.yaml").string() + ":13: "));
}

TEST_CASE("sweep --resume: a record larger than the sweep's points need is refused before it is read",
          "[sweep][resume]") {
  Sweep s;
  const std::string out = temp_file("r.csv", "");
  s.run(out, "-q");
  const std::string rows = slurp(out);
  // 4 points: at most 64 KiB + 4 x 16 KiB = 131,072 bytes.
  std::ofstream(out + ".inputs.json") << std::string(131073, ' ');
  expect_input_error(run_cli("sweep " + q(s.spec) + " -o " + q(out) + " --resume"), out + ".inputs.json",
                     "131073 bytes, more than a record of this sweep's 4 points can be (131072)");
  CHECK(slurp(out) == rows);
  // A directory in its place is named as the record, not as the results.
  fs::remove(out + ".inputs.json");
  fs::create_directory(out + ".inputs.json");
  expect_input_error(run_cli("sweep " + q(s.spec) + " -o " + q(out)), out + ".inputs.json",
                     "will not replace this with the record of the sweep's inputs");
  // Results names are .csv or .jsonl in either case.
  const std::string upper = (temp_dir() / "R.CSV").string();
  s.run(upper, "-q");
  CHECK(slurp(upper) == rows);
}

TEST_CASE("sweep: MPI ranks whose files differ from rank 0's are refused before a point runs", "[sweep][mpi][resume]") {
  if (nnasim::test::run_shell("command -v mpirun >/dev/null && mpirun --allow-run-as-root --oversubscribe -n 2 true")
          .status != 0) {
    WARN("mpirun cannot start processes here: skipping");
    return;
  }
  // Two working folders with a spec of one name whose hardware files differ, as stale node-local
  // copies would: each rank would run its points on its own hardware.
  const fs::path a = temp_dir() / "rankA", b = temp_dir() / "rankB";
  for (const auto& d : {a, b}) {
    fs::create_directories(d);
    std::ofstream(d / "hw.yaml") << slurp(source_dir() + "/configs/hw/series4-1core.yaml");
    std::ofstream(d / "s.yaml") << "hardware: hw.yaml\nmodels: [tinynet]\naxes:\n  weight_bits: [8, 4]\n";
  }
  std::string hw = slurp((b / "hw.yaml").string());
  replace_once(hw, "bandwidth: 12 GB/s", "bandwidth: 6 GB/s");
  std::ofstream(b / "hw.yaml") << hw;
  const std::string out = (temp_dir() / "mpi.csv").string(), exe = NNASIM_BINARY;
  const std::string cmd = "mpirun --allow-run-as-root --oversubscribe -n 1 -wdir " + q(a.string()) + " " + q(exe) +
                          " sweep s.yaml -o " + q(out) + " : -n 1 -wdir " + q(b.string()) + " " + q(exe) +
                          " sweep s.yaml -o " + q(out) + " 2>&1";
  auto r = nnasim::test::run_shell(cmd);
  INFO(r.out);
  CHECK(r.status != 0);
  CHECK_THAT(r.out, Catch::Contains("error: s.yaml: MPI rank 1's hardware and model files"));
  CHECK(!fs::exists(out));
}

TEST_CASE("pareto: objectives named twice are refused under the option the user gave", "[sweep][pareto]") {
  auto csv = temp_file("p.csv", "hardware,seconds,top1,top1_fp32,status\na,1,70,76,ok\nb,2,75,76,ok\n");
  expect_input_error(run_cli("pareto " + q(csv) + " --x seconds --y seconds"), "--y", "'seconds' is an objective twice");
  expect_input_error(run_cli("pareto " + q(csv) + " -O top1:max -O top1_fp32:max --accuracy fp32"), "--accuracy",
                     "'top1_fp32' is an objective twice (fp32 reads top1 as top1_fp32)");
  // A hand-made table without a final newline: its last row counts, whatever its status says.
  auto hand = temp_file("hand.csv", "hardware,seconds,top1,status\na,1,70,ok\nb,0.5,75,failed\nc,2,80,ok");
  auto r = run_cli("pareto " + q(hand) + " -O seconds -O top1:max --format csv");
  REQUIRE(r.status == 0);
  CHECK(r.err.find("cut short") == std::string::npos);
  CHECK(r.out == "hardware,seconds,top1,status\na,1,70,ok\nc,2,80,ok\n");
}

TEST_CASE("sweep: a hardware file edited while the sweep runs is reported, and --resume runs its points again",
          "[sweep][resume]") {
  // ResNet-50 points take tens of milliseconds each (far more under sanitizers): the edit lands
  // after the first row and long before the eighth.
  const std::string hw = temp_file("hw.yaml", slurp(source_dir() + "/configs/hw/series4-1core.yaml"));
  const std::string spec = temp_file("edit.yaml", "hardware: " + hw + "\nmodels: [resnet50]\naxes:\n"
                                                  "  ocm.size: [1 MiB, 2 MiB, 4 MiB, 8 MiB]\n  weight_bits: [8, 4]\n");
  const std::string out = (temp_dir() / "edit.csv").string(), err = (temp_dir() / "edit.err").string();
  const pid_t pid = nnasim::test::spawn_cli({"sweep", spec, "-o", out, "-j", "1", "-q"}, err);
  auto rows = [&] {
    const std::string t = slurp(out);
    return size_t(std::count(t.begin(), t.end(), '\n'));
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rows() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string text = slurp(hw);
  replace_once(text, "bandwidth: 12 GB/s", "bandwidth: 6 GB/s");
  std::ofstream(hw) << text;
  const size_t at_edit = rows();
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  INFO("rows when the file changed: " << at_edit - 1);
  REQUIRE(at_edit < 9);  // the sweep was still running
  CHECK_THAT(slurp(err), Catch::Contains("sweep: warning: " + out + ": a hardware or model file changed while the sweep "
                                         "ran: 8 row(s) may come from either version; --resume runs them again"));
  auto r = run_cli("sweep " + q(spec) + " -o " + q(out) + " --resume");
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("8 finished row(s) run again"));
  CHECK(slurp(out) == run_cli("sweep " + q(spec) + " -q").out);
}
