#include "sim/sweep/point_runner.h"

#include <fmt/format.h>

#include <iostream>

#include "sim/config/hw_config.h"
#include "sim/report/writers.h"
#include "sim/run/run.h"
#include "sim/sweep/results.h"

namespace nnasim::sweep {
namespace {

// The options `nnasim run` would parse from Point::argv.
run::ModelSpec model_spec(const Point& p) {
  run::ModelSpec ms;
  ms.model = p.model_path;
  ms.prepare.weight_bits = p.weight_bits;
  ms.prepare.act_bits = p.act_bits;
  if (!p.number_format.empty()) {
    NumFormat f;
    if (parse_num_format(p.number_format, &f)) ms.prepare.format = f;
  }
  if (!p.compress.empty() && p.compress != "none") ms.compress = p.compress;
  return ms;
}

// As main() reports a failure.
template <typename Fn>
int guarded(Fn fn, std::string* error) {
  try {
    fn();
    return 0;
  } catch (const InputError& e) {
    *error = e.line();
    return 2;
  } catch (const std::exception& e) {
    *error = std::string("internal error: ") + e.what();
    return 1;
  }
}

}  // namespace

std::string ModelCache::key(const Point& p) {
  return fmt::format("{}\n{}\n{}\n{}\n{}", p.model_path, p.weight_bits ? *p.weight_bits : -1,
                     p.act_bits ? *p.act_bits : -1, p.number_format, p.compress);
}

void ModelCache::prepare(const Point& p) {
  const std::string k = key(p);
  if (entries_.count(k)) return;
  Entry e;
  e.status = guarded([&] { e.graph = std::make_shared<const graph::Graph>(run::load_prepared(model_spec(p))); }, &e.error);
  entries_.emplace(k, std::move(e));
}

int ModelCache::run(const Point& p, bool figures_only) const {
  std::string error;
  int status = guarded(
      [&] {
        // `nnasim run` reads the hardware first; --set overrides name the option as their source.
        // load_sweep has read it already (any error in it stopped the sweep before a point ran).
        HardwareSpec loaded;
        if (!p.hw) {
          std::vector<config::Override> sets;
          for (const auto& o : p.overrides) sets.push_back({o.key, o.value, {fmt::format("--set {}", o.key), 0}});
          loaded = config::load_hardware(p.hw_path, sets);
        }
        const HardwareSpec& hw = p.hw ? *p.hw : loaded;
        auto it = entries_.find(key(p));
        std::shared_ptr<const graph::Graph> g;
        if (it == entries_.end()) {
          g = std::make_shared<const graph::Graph>(run::load_prepared(model_spec(p)));
        } else if (!it->second.graph) {
          error = it->second.error;  // the model failed to load in the worker: the same error line
          return;
        } else {
          g = it->second.graph;
        }
        sched::SchedOptions so;
        so.mode = p.mode == "cold" ? sched::Mode::Cold : sched::Mode::Steady;
        run::RunOutput out = run::simulate_inference(*g, hw, so);
        if (figures_only) {
          // The report's top level is the JSON `nnasim run` writes without the layers; when every
          // number in it is finite, writing and reading it back would give the same values.
          auto layers = std::move(out.report.layers);
          out.report.layers = {};
          const auto top = report::to_json(out.report);
          if (figures_exact(top)) {
            std::cout << figures_line(figures_of(top));
            std::cout.flush();
            return;
          }
          out.report.layers = std::move(layers);
        }
        report::write_json(std::cout, out.report);
        std::cout.flush();
      },
      &error);
  if (status == 0 && !error.empty()) status = entries_.at(key(p)).status;
  if (status != 0) {
    std::cerr << error << "\n";
    std::cerr.flush();
  }
  return status;
}

}  // namespace nnasim::sweep
