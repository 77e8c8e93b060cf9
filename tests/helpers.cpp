#include "helpers.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sim/graph/passes.h"
#include "sim/run/run.h"
#include "sim/report/writers.h"

extern char** environ;

namespace nnasim::test {

HardwareSpec literal_hw(int rows, int cols, double ocm, double bw, int cores) {
  HardwareSpec hw;
  hw.name = "literal";
  hw.file = "<test>";
  hw.clock_hz = 1e9;
  hw.cores = cores;
  hw.mac.rows = rows;
  hw.mac.cols = cols;
  hw.mac.dataflow = Dataflow::WeightStationary;
  hw.mac.throughput = {{NumFormat::Int, 8, 8, int64_t(rows) * cols},
                       {NumFormat::Int, 16, 16, int64_t(rows) * cols / 4}};
  hw.ocm.size_bytes = ocm;
  hw.ocm.bytes_per_cycle = 1e9;  // never the bottleneck unless a test says so
  hw.dma.bytes_per_cycle = 1e9;
  hw.vector.elements_per_cycle = 16;
  hw.dram.bandwidth = bw;
  hw.dram.latency_s = 0;
  hw.dram.efficiency = 1;
  hw.energy.mac = {{NumFormat::Int, 4, 8, 0.5e-12}, {NumFormat::Int, 8, 8, 1e-12}, {NumFormat::Int, 16, 16, 4e-12}};
  hw.energy.vector_op_j = 0.1e-12;
  hw.energy.ocm_read_j_per_byte = 2e-12;
  hw.energy.ocm_write_j_per_byte = 3e-12;
  hw.energy.dram_read_j_per_byte = 50e-12;
  hw.energy.dram_write_j_per_byte = 60e-12;
  hw.energy.static_power_w = 0.1;
  return hw;
}

static graph::Graph finish(graph::GraphBuilder& b) {
  graph::Graph g = b.finish();
  graph::prepare(g, {});
  return g;
}

graph::Graph single_fc(int64_t in_features, int64_t out_features, bool bias, int weight_bits) {
  graph::GraphBuilder b("fc", "<test>");
  graph::Layer in;
  in.name = "x";
  in.op = graph::Op::Input;
  in.out = {1, in_features, 1, 1};
  b.add(in);
  graph::Layer fc;
  fc.name = "fc";
  fc.op = graph::Op::FullyConnected;
  fc.inputs = {0};
  fc.out_channels = out_features;
  fc.has_bias = bias;
  fc.quant.weight_bits = weight_bits;
  b.add(fc);
  return finish(b);
}

graph::Graph single_conv(int64_t cin, int64_t hw, int64_t cout, int k, int groups, int weight_bits) {
  graph::GraphBuilder b("conv", "<test>");
  graph::Layer in;
  in.name = "x";
  in.op = graph::Op::Input;
  in.out = {1, cin, hw, hw};
  b.add(in);
  graph::Layer c;
  c.name = "conv";
  c.op = graph::Op::Conv;
  c.inputs = {0};
  c.out_channels = cout;
  c.kh = c.kw = k;
  c.pad_t = c.pad_b = c.pad_l = c.pad_r = k / 2;
  c.groups = groups;
  c.quant.weight_bits = weight_bits;
  b.add(c);
  return finish(b);
}

nlohmann::json simulate_forked(const graph::Graph& g, const HardwareSpec& hw, sched::Mode mode,
                               sched::Objective objective) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    int code = 0;
    try {
      sched::SchedOptions so;
      so.mode = mode;
      so.objective = objective;
      auto r = run::simulate_inference(g, hw, so);
      out = report::to_json(r.report).dump();
    } catch (const std::exception& e) {
      out = nlohmann::json{{"error", e.what()}}.dump();
      code = 3;
    }
    size_t off = 0;
    while (off < out.size()) {
      ssize_t w = write(fds[1], out.data() + off, out.size() - off);
      if (w <= 0) break;
      off += size_t(w);
    }
    close(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  std::string data;
  char buf[65536];
  ssize_t r;
  while ((r = read(fds[0], buf, sizeof buf)) > 0) data.append(buf, size_t(r));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  auto j = nlohmann::json::parse(data);
  if (j.contains("error")) throw std::runtime_error(j["error"].get<std::string>());
  return j;
}

CliResult run_shell(const std::string& cmd) {
  CliResult res;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return res;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) res.out.append(buf, n);
  int st = pclose(p);
  res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return res;
}

int spawn_cli(const std::vector<std::string>& args, const std::string& err_path) {
  std::vector<std::string> all = {NNASIM_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, NNASIM_BINARY, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

CliResult run_cli(const std::string& args) {
  const std::string err_path = temp_dir() / "run_cli.stderr";
  CliResult res = run_shell(fmt::format("{} {} 2>{}", NNASIM_BINARY, args, err_path));
  std::ifstream e(err_path);
  std::stringstream ss;
  ss << e.rdbuf();
  res.err = ss.str();
  std::filesystem::remove(err_path);
  return res;
}

const graph::Layer& layer(const graph::Graph& g, const std::string& name) {
  int i = g.find(name);
  INFO("layer " << name);
  REQUIRE(i >= 0);
  return g.layers[i];
}

// Exit 2, one line, starting "error: WHERE: " and containing `words`.
void expect_input_error(const CliResult& r, const std::string& where, const std::string& words) {
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.rfind("error: " + where + ": ", 0) == 0);
  CHECK_THAT(r.err, Catch::Contains(words));
}

std::string source_dir() { return NNASIM_SOURCE_DIR; }

std::string hw_path(const std::string& name) { return source_dir() + "/configs/hw/" + name + ".yaml"; }

nlohmann::json run_cli_json(const std::string& args) {
  CliResult r = run_cli(args + " --format json");
  if (r.status != 0) throw std::runtime_error(fmt::format("nnasim {} exited {}: {}", args, r.status, r.err));
  return nlohmann::json::parse(r.out);
}

namespace {
// Removed at exit by the process that made it; a forked child that exits normally leaves it.
struct TempDir {
  pid_t owner = getpid();
  std::filesystem::path path = std::filesystem::temp_directory_path() / fmt::format("nnasim_test_{}", getpid());
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    if (getpid() == owner) std::filesystem::remove_all(path, ec);
  }
};
}  // namespace

const std::filesystem::path& temp_dir() {
  static TempDir d;
  return d.path;
}

std::string temp_file(const std::string& name, const std::string& content) {
  auto p = temp_dir() / name;
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

}  // namespace nnasim::test
