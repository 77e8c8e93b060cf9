// `nnasim sweep SPEC.yaml [-o results.csv] [-j N] [--resume]` and
// `nnasim pareto results.csv|.jsonl [-O COLUMN[:min|max] ...] [--by COLUMN] [--accuracy bits|fp32]`.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/cli/commands.h"
#include "sim/common/error.h"
#include "sim/report/writers.h"
#include "sim/sweep/pareto.h"
#include "sim/sweep/results.h"
#include "sim/sweep/runner.h"
#include "sim/sweep/spec.h"

#ifndef NNASIM_SOURCE_DIR
#define NNASIM_SOURCE_DIR "."
#endif

namespace nnasim::cli {
namespace {

struct SweepArgs {
  std::string spec, output;
  int jobs = 0;
  double point_timeout = 0;
  bool point_timeout_given = false;
  bool resume = false, dry_run = false, quiet = false, spawn = false;
};

struct ParetoArgs {
  std::string results, x = "seconds", y = "top1", by, format = "table", output, accuracy = "bits";
  std::vector<std::string> columns, objectives;
  bool minimize_y = false, maximize_x = false;
};

// A word a POSIX shell reads back as `s`: as is when plain, else in single quotes, each ' as '\''.
std::string shell_word(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int sweep(const SweepArgs& a) {
  sweep::SpecOptions so;
  so.source_dir = NNASIM_SOURCE_DIR;
  sweep::output_format_of(a.output);  // a results name nnasim can write, checked before the spec is read
  if (a.dry_run) {
    // The points, one CSV row each, with the command that would run them, on stdout: -o names
    // the results of the real run, which a dry run must not touch.
    sweep::SweepSpec spec = sweep::load_sweep(a.spec, so);
    emit("-", [&](std::ostream& os) {
      std::vector<std::string> h = {"point"};
      h.insert(h.end(), spec.identity_columns.begin(), spec.identity_columns.end());
      h.push_back("command");
      os << sweep::csv_line(h);
      for (const auto& p : spec.points) {
        std::vector<std::string> f = {std::to_string(p.index + 1)};
        auto id = p.identity();
        f.insert(f.end(), id.begin(), id.end());
        auto argv = p.argv("nnasim");
        std::string cmd;
        for (const auto& s : argv)
          cmd += (cmd.empty() ? "" : " ") + shell_word(s);
        f.push_back(cmd);
        os << sweep::csv_line(f);
      }
    });
    return 0;
  }
  sweep::RunOptions ro;
  ro.output = a.output;
  ro.jobs = a.jobs;
  ro.resume = a.resume;
  ro.quiet = a.quiet;
  ro.spawn = a.spawn;
  if (a.point_timeout_given && !(a.point_timeout > 0))
    throw InputError({"--point-timeout", 0}, fmt::format("{:g} s: expected a number of seconds above 0", a.point_timeout));
  ro.point_timeout = a.point_timeout;
  return sweep::sweep_main(a.spec, so, ro);
}

int pareto(const ParetoArgs& a) {
  const auto fmt_out = report::parse_format(a.format, "--format");
  if (a.accuracy != "bits" && a.accuracy != "fp32")
    throw InputError({"--accuracy", 0}, fmt::format("'{}': expected bits (top-1 at each row's weight bits) or fp32", a.accuracy));
  const bool fp32 = a.accuracy == "fp32";
  int torn = 0;
  sweep::Table t = sweep::read_table(a.results, &torn);
  if (torn) std::cerr << fmt::format("pareto: {}: left out a last line that was cut short\n", a.results);
  sweep::ParetoOptions o;
  o.by = a.by;
  if (!a.objectives.empty()) {
    for (const auto& text : a.objectives) o.objectives.push_back(sweep::parse_objective(text, "--objective"));
  } else {
    o.objectives = {{a.x, a.maximize_x}, {a.y, !a.minimize_y}};
  }
  // One column, one objective (checked here, where the options are known): as the user gave them,
  // and after --accuracy fp32 reads top1 as top1_fp32.
  auto twice = [&](const std::string& option, const std::string& why) {
    for (size_t i = 0; i < o.objectives.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (o.objectives[i].column == o.objectives[j].column)
          throw InputError({option, 0}, fmt::format("'{}' is an objective twice{}: give each column once, with :min or :max",
                                                    o.objectives[i].column, why));
  };
  twice(a.objectives.empty() ? "--y" : "--objective", "");
  // --accuracy fp32: the FP32 figure stands in for top1, and the output says so.
  std::vector<std::string> shown;  // objective names as the user gave them
  for (auto& ob : o.objectives) {
    shown.push_back(ob.column);
    if (fp32 && ob.column == "top1") ob.column = "top1_fp32";
  }
  if (fp32) twice("--accuracy", " (fp32 reads top1 as top1_fp32)");
  const auto res = sweep::pareto_front(t, o);
  const auto& front = res.front;
  std::vector<std::string> notes;
  if (fp32)
    notes.push_back("accuracy: the FP32 top-1 is used for every row (--accuracy fp32), not the accuracy at its weight bits");
  for (size_t j = 0; j < o.objectives.size(); ++j)
    if (res.skipped[j])
      notes.push_back(fmt::format("{} of {} ok rows left out: their '{}' is not a number ({})", res.skipped[j], res.rows_ok,
                                  o.objectives[j].column,
                                  o.objectives[j].column == "top1" ? "no published accuracy at their weight bits; "
                                                                     "--accuracy fp32 uses the FP32 figure instead"
                                                                   : "e.g. empty or unknown"));
  for (const auto& n : notes) std::cerr << "pareto: " << n << "\n";
  emit(a.output, [&](std::ostream& os) {
    if (fmt_out == report::Format::Csv) {
      os << sweep::csv_line(t.header);
      for (const auto& p : front) os << sweep::csv_line(t.rows[p.row]);
      return;
    }
    if (fmt_out == report::Format::Json) {
      nlohmann::ordered_json out;
      out["results"] = a.results;
      nlohmann::ordered_json obj = nlohmann::ordered_json::array();
      for (const auto& ob : o.objectives) obj.push_back({{"column", ob.column}, {"goal", ob.maximize ? "max" : "min"}});
      out["objectives"] = obj;
      if (!a.by.empty()) out["by"] = a.by;
      out["accuracy"] = fp32 ? "fp32" : "bits";
      out["notes"] = notes;
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& p : front) {
        nlohmann::ordered_json j;
        for (size_t c = 0; c < t.header.size(); ++c) {
          const std::string& v = t.rows[p.row][c];
          double d = 0;
          std::string unit;
          if (sweep::split_number(v, &d, &unit) && unit.empty())
            j[t.header[c]] = d;
          else
            j[t.header[c]] = v;
        }
        arr.push_back(j);
      }
      out["front"] = arr;
      os << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return;
    }
    // Table: the group, the columns that name a point (those before `seconds` in a sweep's
    // results, else `model`), then the objectives; or the columns asked for.
    std::vector<std::string> cols = a.columns;
    if (cols.empty()) {
      if (!a.by.empty()) cols.push_back(a.by);
      std::vector<std::string> names;
      int figures = t.column(sweep::kFigureColumns.front());
      if (figures >= 0)
        names.assign(t.header.begin(), t.header.begin() + figures);
      else if (t.column("model") >= 0)
        names.push_back("model");
      auto is_objective = [&](const std::string& n) {
        return std::any_of(o.objectives.begin(), o.objectives.end(), [&](const auto& ob) { return ob.column == n; });
      };
      for (const auto& n : names)
        if (n != a.by && !is_objective(n)) cols.push_back(n);
      for (const auto& ob : o.objectives) cols.push_back(ob.column);
    }
    std::vector<int> idx;
    for (const auto& c : cols) {
      int i = t.column(c);
      if (i < 0) throw InputError({"--columns", 0}, fmt::format("no column '{}' in {}", c, a.results));
      idx.push_back(i);
    }
    auto cell = [&](const sweep::FrontPoint& p, size_t c) {
      const std::string& v = t.rows[p.row][size_t(idx[c])];
      double d = 0;
      std::string unit;
      return sweep::split_number(v, &d, &unit) && unit.empty() ? fmt::format("{:.6g}", d) : v;
    };
    std::vector<size_t> width(cols.size());
    for (size_t c = 0; c < cols.size(); ++c) {
      width[c] = cols[c].size();
      for (const auto& p : front) width[c] = std::max(width[c], cell(p, c).size());
    }
    std::vector<std::string> goals;
    for (const auto& ob : o.objectives) goals.push_back(fmt::format("{} {}", ob.maximize ? "maximise" : "minimise", ob.column));
    os << fmt::format("non-dominated points of {}: {}{}\n", a.results, fmt::join(goals, ", "), a.by.empty() ? "" : ", by " + a.by);
    for (const auto& n : notes) os << "(" << n << ")\n";
    auto line = [&](auto text) {
      std::string s;
      for (size_t c = 0; c < cols.size(); ++c) s += fmt::format("{}{:<{}}", c ? "  " : "", text(c), width[c]);
      while (!s.empty() && s.back() == ' ') s.pop_back();
      os << s << "\n";
    };
    line([&](size_t c) { return cols[c]; });
    line([&](size_t c) { return std::string(width[c], '-'); });
    for (const auto& p : front) line([&](size_t c) { return cell(p, c); });
  });
  return 0;
}

}  // namespace

void register_sweep(CLI::App& app, Registry& reg) {
  auto sa = std::make_shared<SweepArgs>();
  CLI::App* s = app.add_subcommand("sweep", "simulate every point of a sweep spec (configs/sweeps/*.yaml)");
  s->add_option("spec", sa->spec, "sweep spec (YAML)")->required();
  s->add_option("-o,--output", sa->output, "results file: .csv, or .jsonl for the full report per point (default: CSV on stdout)");
  s->add_option("-j,--jobs", sa->jobs, "points simulated at a time, per MPI rank (default: the number of cores)");
  s->add_flag("--resume", sa->resume, "keep the finished rows of the results file and run only the rest");
  auto* timeout = s->add_option("--point-timeout", sa->point_timeout,
                "SECONDS a point may run; a slower one is killed and recorded as 'timed out after N s', the sweep "
                "goes on, and --resume runs it again (default: no limit)");
  timeout->each([sa](const std::string&) { sa->point_timeout_given = true; });
  s->add_flag("--dry-run", sa->dry_run, "list the points and their commands on stdout (CSV) without running them or writing -o");
  s->add_flag("-q,--quiet", sa->quiet, "no progress bar and no summary line");
  s->add_flag("--spawn", sa->spawn, "start `nnasim run` per point instead of forking a worker that loaded each model "
                                    "once (same results, slower)");
  s->footer(
      "Spec: hardware: FILE; models: [names] or zoo; set: {key: value}; axes: {key: [values] or {from, to, step|factor}};\n"
      "zip: [{key: [values], key: [values]}]. Keys: dotted hardware keys (ocm.size, dram.bandwidth, cores.count, clock, ...),\n"
      "weight_bits, act_bits, number_format, mode, compress, hardware. See configs/sweeps/example.yaml.");
  reg.push_back({s, [sa] { return sweep(*sa); }});

  auto pa = std::make_shared<ParetoArgs>();
  CLI::App* p = app.add_subcommand("pareto", "non-dominated points of a sweep's results over any numeric columns");
  p->add_option("results", pa->results, "results written by nnasim sweep: .csv or .jsonl")->required();
  p->add_option("-O,--objective", pa->objectives,
                "COLUMN[:min|max] (repeatable; default min): e.g. -O seconds -O energy_joules -O top1:max; any "
                "numeric column, values with units (2 MiB, 12 GB/s) compare in SI units");
  p->add_option("--x", pa->x, "without --objective: a column to minimise (default: seconds)");
  p->add_option("--y", pa->y, "without --objective: a column to maximise (default: top1)");
  p->add_option("--accuracy", pa->accuracy, "bits (default): top1 is the accuracy at each row's weight bits, rows "
                                            "without one are left out; fp32: use the FP32 figure instead (said in the output)");
  p->add_option("--by", pa->by, "one front per value of this column (e.g. hardware)");
  p->add_flag("--minimize-y", pa->minimize_y, "without --objective: minimise y instead");
  p->add_flag("--maximize-x", pa->maximize_x, "without --objective: maximise x instead");
  p->add_option("--columns", pa->columns, "table columns (default: the --by column, the columns naming a point, x, y)")->delimiter(',');
  p->add_option("--format", pa->format, "table, csv or json");
  p->add_option("-o,--output", pa->output, "write to FILE");
  reg.push_back({p, [pa] { return pareto(*pa); }});
}

}  // namespace nnasim::cli
