// Shared test helpers: hardware and graphs from struct literals, a forked simulation (SystemC
// elaborates once per process, so each simulation runs in a child), and running the CLI.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/graph/graph.h"
#include "sim/sched/plan.h"

namespace nnasim::test {

// A small, fully specified machine: 1 core, rows x cols WS array at 1 GHz, `ocm` bytes of OCM,
// `bw` bytes/s DRAM with no latency; energy table with round numbers (1 pJ per MAC, ...).
HardwareSpec literal_hw(int rows = 4, int cols = 4, double ocm = 1 << 20, double bw = 1e9, int cores = 1);

// input [1, c, h, w] -> one layer.
graph::Graph single_fc(int64_t in_features, int64_t out_features, bool bias = false, int weight_bits = 8);
graph::Graph single_conv(int64_t cin, int64_t hw, int64_t cout, int k, int groups = 1, int weight_bits = 8);

// Simulates in a forked child and returns the report JSON (DESIGN.md's contract).
nlohmann::json simulate_forked(const graph::Graph& g, const HardwareSpec& hw, sched::Mode mode = sched::Mode::Cold,
                               sched::Objective objective = sched::Objective::Latency);

struct CliResult {
  int status = -1;
  std::string out, err;
};
// Runs build/nnasim with the given arguments (a shell-quoted string), capturing both streams.
CliResult run_cli(const std::string& args);
// Runs a shell command line; `out` is its stdout, `err` stays empty.
CliResult run_shell(const std::string& cmd);
// Starts build/nnasim with `args` (not through a shell) and returns at once with its pid, for tests
// that act while it runs; its stdout goes to /dev/null, its stderr to `err_path`. A failed start is
// a failed REQUIRE.
int spawn_cli(const std::vector<std::string>& args, const std::string& err_path = "/dev/null");

std::string source_dir();
// configs/hw/NAME.yaml of the source tree.
std::string hw_path(const std::string& name);
// Runs the CLI with `--format json` appended; throws std::runtime_error (with its stderr) unless
// it exits 0, and returns the parsed report.
nlohmann::json run_cli_json(const std::string& args);
// This process's folder of test files (ctest runs each TEST_CASE in its own process), removed at
// exit; temp_file writes `content` to NAME in it.
const std::filesystem::path& temp_dir();
std::string temp_file(const std::string& name, const std::string& content);
// The layer named `name` of `g` (a failed REQUIRE if there is none).
const graph::Layer& layer(const graph::Graph& g, const std::string& name);
// Exit 2, one line, starting "error: WHERE: " and containing `words`.
void expect_input_error(const CliResult& r, const std::string& where, const std::string& words);
// A path or argument in single quotes, for run_cli's shell line.
inline std::string q(const std::string& s) { return "'" + s + "'"; }

}  // namespace nnasim::test
