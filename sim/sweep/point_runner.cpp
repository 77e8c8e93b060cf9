#include "sim/sweep/point_runner.h"

#include <fmt/format.h>

#include <iostream>

#include "sim/config/hw_config.h"
#include "sim/graph/graph.h"
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
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", p.model_path, p.weight_bits ? *p.weight_bits : -1,
                     p.act_bits ? *p.act_bits : -1, p.number_format, p.compress, p.batch ? *p.batch : -1);
}

void ModelCache::prepare(const Point& p) {
  const std::string k = key(p);
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    Entry e;
    e.status = guarded(
        [&] {
          graph::Graph g = run::load_prepared(model_spec(p));
          if (p.batch) graph::set_batch(g, *p.batch, {"--batch", 0});  // as `nnasim run --batch`
          e.graph = std::make_shared<const graph::Graph>(std::move(g));
        },
        &e.error);
    it = entries_.emplace(k, std::move(e)).first;
  }
  // The candidate lists of one model (with its bits) at a time: the sweep runs a model's points
  // together, and a smaller heap makes each fork cheaper.
  if (k != plans_model_) {
    plans_ = sched::PlanCache(1);
    plans_model_ = k;
  }
  // As `nnasim run` goes on: the hardware (read by load_sweep already, with the same overrides),
  // the model, then the schedule; the first error is the point's answer.
  planned_.reset();
  Planned pl;
  pl.index = p.index;
  pl.model = &it->second;
  pl.status = guarded(
      [&] {
        if (p.hw) {
          pl.hw = p.hw;
        } else {  // --set overrides name the option as their source
          std::vector<config::Override> sets;
          for (const auto& o : p.overrides) sets.push_back({o.key, o.value, {fmt::format("--set {}", o.key), 0}});
          pl.hw = std::make_shared<const HardwareSpec>(config::load_hardware(p.hw_path, sets));
        }
        if (!pl.model->graph) return;  // the model's own error
        sched::SchedOptions so;
        so.mode = p.mode == "cold" ? sched::Mode::Cold : sched::Mode::Steady;
        if (!p.objective.empty()) so.objective = sched::parse_objective(p.objective);
        sched::Schedule s;
        s.plan = sched::make_plan(*pl.model->graph, *pl.hw, so, &plans_);
        // The program of the last point run, when this point's model (the graph: its layers' names,
        // formats and bits are in the commands), plan and hardware would emit the same one
        // (sched::emit_fingerprint: e.g. points that differ only in DRAM bandwidth).
        pl.emit_key = k + "\n" + sched::emit_fingerprint(s.plan, *pl.hw);
        if (last_program_ && last_program_->first == pl.emit_key)
          s.program = std::move(last_program_->second);
        else
          s.program = sched::emit_program(*pl.model->graph, *pl.hw, s.plan);
        last_program_.reset();
        pl.schedule = std::move(s);
      },
      &pl.error);
  if (pl.status == 0 && !pl.model->graph) pl.status = pl.model->status, pl.error = pl.model->error;
  planned_ = std::move(pl);
}

int ModelCache::run(const Point& p, bool figures_only) {
  if (!planned_ || planned_->index != p.index) {
    std::cerr << "internal error: sweep point " << p.index + 1 << " was not prepared before it ran\n";
    return 1;
  }
  Planned& pl = *planned_;
  std::string error = pl.error;
  int status = pl.status;
  if (status == 0)
    status = guarded(
        [&] {
          run::RunOutput out = run::simulate_schedule(*pl.model->graph, *pl.hw, std::move(*pl.schedule));
          // Kept for the next point (simulating and reporting only read it).
          last_program_.emplace(pl.emit_key, std::move(out.schedule.program));
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
  if (status != 0) {
    std::cerr << error << "\n";
    std::cerr.flush();
  }
  return status;
}

}  // namespace nnasim::sweep
