// `nnasim compare A.json B.json [--format table|csv|json] [-o FILE]`: two run reports side by side.
#include <memory>

#include "sim/cli/commands.h"
#include "sim/report/compare.h"

namespace nnasim::cli {
namespace {

struct CompareArgs {
  std::string a, b, format = "table", output;
};

}  // namespace

void register_compare(CLI::App& app, Registry& reg) {
  auto ca = std::make_shared<CompareArgs>();
  CLI::App* c = app.add_subcommand("compare", "two run reports (nnasim run --format json) side by side, per layer, with ratios B/A");
  c->add_option("a", ca->a, "report A (JSON)")->required();
  c->add_option("b", ca->b, "report B (JSON)")->required();
  c->add_option("--format", ca->format, "table, csv or json");
  c->add_option("-o,--output", ca->output, "write to FILE");
  reg.push_back({c, [ca] {
                   const auto f = report::parse_format(ca->format, "--format");
                   const auto cmp = report::compare_runs(ca->a, ca->b);
                   emit(ca->output, [&](std::ostream& os) { report::write_comparison(os, cmp, f); });
                   return 0;
                 }});
}

}  // namespace nnasim::cli
