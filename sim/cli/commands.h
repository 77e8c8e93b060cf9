// Subcommands of the nnasim executable.
#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nnasim::cli {

std::string help_config();
std::string default_hw_path();
std::string default_model();

// Options shared by `run` and `sweep` points: what to simulate and how.
struct RunArgs {
  std::string hw;
  std::string model;
  std::vector<std::string> sets;  // key=value overrides of the hardware YAML
  std::optional<int> weight_bits, act_bits;
  std::string number_format;  // empty: as the model says
  std::string mode = "steady";
  std::string format = "table";
  std::string output;
  std::string trace_out, timeline, program_out;
  bool allow_unknown_ops = false;
};

class Commands {
 public:
  explicit Commands(CLI::App& app);
  int dispatch(CLI::App& app);

 private:
  int run();
  int info();

  CLI::App* run_ = nullptr;
  CLI::App* info_ = nullptr;
  RunArgs run_args_;
  struct {
    std::string model, format = "table", output;
    std::optional<int> weight_bits;
    bool allow_unknown_ops = false;
  } info_args_;
};

}  // namespace nnasim::cli
