// Subcommands of the nnasim executable. Each area registers its subcommands here; main() parses
// and dispatches to the one the user named. Shared option helpers live here too.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/hw_config.h"
#include "sim/graph/passes.h"
#include "sim/sched/plan.h"

namespace nnasim::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using Registry = std::vector<Subcommand>;

void register_run_info(CLI::App& app, Registry& reg);  // commands.cpp: run, info
void register_sweep(CLI::App& app, Registry& reg);     // cmd_sweep.cpp: sweep, pareto
void register_replay(CLI::App& app, Registry& reg);    // cmd_replay.cpp: replay
void register_numerics(CLI::App& app, Registry& reg);  // cmd_numerics.cpp: numerics
void register_compare(CLI::App& app, Registry& reg);   // cmd_compare.cpp: compare

std::string help_config();
std::string default_hw_path();
std::string default_model();

// --set key=value -> overrides whose source is the option itself.
std::vector<config::Override> parse_sets(const std::vector<std::string>& sets);
graph::PrepareOptions prepare_options(std::optional<int> weight_bits, std::optional<int> act_bits,
                                      const std::string& number_format);
sched::Mode parse_mode(const std::string& m);
// --objective and --mapper KEY=VALUE (run, replay): the mapper's options.
sched::SchedOptions sched_options(const std::string& objective, const std::vector<std::string>& mapper);
void add_mapper_options(CLI::App* cmd, std::string& objective, std::vector<std::string>& mapper);
// Writes to `path` (or stdout when empty or "-").
void emit(const std::string& path, const std::function<void(std::ostream&)>& fn);

}  // namespace nnasim::cli
