// `nnasim sweep SPEC.yaml [-o results.csv] [-j N] [--resume]` and
// `nnasim pareto results.csv --x seconds --y top1 [--by hardware]`.
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
  bool resume = false, dry_run = false, quiet = false;
};

struct ParetoArgs {
  std::string results, x = "seconds", y = "top1", by, format = "table", output;
  std::vector<std::string> columns;
  bool minimize_y = false, maximize_x = false;
};

int sweep(const SweepArgs& a) {
  sweep::SpecOptions so;
  so.source_dir = NNASIM_SOURCE_DIR;
  if (a.dry_run) {
    // The points, one CSV row each, with the command that would run them.
    sweep::SweepSpec spec = sweep::load_sweep(a.spec, so);
    emit(a.output, [&](std::ostream& os) {
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
          cmd += (cmd.empty() ? "" : " ") + (s.find_first_of(" '") == std::string::npos ? s : "'" + s + "'");
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
  return sweep::sweep_main(a.spec, so, ro);
}

int pareto(const ParetoArgs& a) {
  const auto fmt_out = report::parse_format(a.format, "--format");
  sweep::Table t = sweep::read_table(a.results);
  sweep::ParetoOptions o;
  o.x = a.x, o.y = a.y, o.by = a.by;
  o.minimize_x = !a.maximize_x;
  o.maximize_y = !a.minimize_y;
  const auto front = sweep::pareto_front(t, o);
  emit(a.output, [&](std::ostream& os) {
    if (fmt_out == report::Format::Csv) {
      os << sweep::csv_line(t.header);
      for (const auto& p : front) os << sweep::csv_line(t.rows[p.row]);
      return;
    }
    if (fmt_out == report::Format::Json) {
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
      os << arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return;
    }
    // Table: the group, the columns that name a point (those before `seconds` in a sweep's
    // results, else `model`), x and y; or the columns asked for. Numbers to 6 significant digits.
    std::vector<std::string> cols = a.columns;
    if (cols.empty()) {
      if (!a.by.empty()) cols.push_back(a.by);
      std::vector<std::string> names;
      int figures = t.column(sweep::kFigureColumns.front());
      if (figures >= 0)
        names.assign(t.header.begin(), t.header.begin() + figures);
      else if (t.column("model") >= 0)
        names.push_back("model");
      for (const auto& n : names)
        if (n != a.by && n != a.x && n != a.y) cols.push_back(n);
      cols.push_back(a.x);
      cols.push_back(a.y);
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
    os << fmt::format("non-dominated points of {}: {} {}, {} {}{}\n", a.results, o.minimize_x ? "minimise" : "maximise",
                      a.x, o.maximize_y ? "maximise" : "minimise", a.y, a.by.empty() ? "" : ", by " + a.by);
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
  s->add_flag("--dry-run", sa->dry_run, "list the points and their commands without running them");
  s->add_flag("-q,--quiet", sa->quiet, "no progress bar and no summary line");
  s->footer(
      "Spec: hardware: FILE; models: [names] or zoo; set: {key: value}; axes: {key: [values] or {from, to, step|factor}};\n"
      "zip: [{key: [values], key: [values]}]. Keys: dotted hardware keys (ocm.size, dram.bandwidth, cores.count, clock, ...),\n"
      "weight_bits, act_bits, number_format, mode, compress, hardware. See configs/sweeps/example.yaml.");
  reg.push_back({s, [sa] { return sweep(*sa); }});

  auto pa = std::make_shared<ParetoArgs>();
  CLI::App* p = app.add_subcommand("pareto", "non-dominated points of a sweep's results (minimise x, maximise y)");
  p->add_option("results", pa->results, "results CSV written by nnasim sweep")->required();
  p->add_option("--x", pa->x, "column to minimise (default: seconds)");
  p->add_option("--y", pa->y, "column to maximise (default: top1)");
  p->add_option("--by", pa->by, "one front per value of this column (e.g. hardware)");
  p->add_flag("--minimize-y", pa->minimize_y, "minimise y instead");
  p->add_flag("--maximize-x", pa->maximize_x, "maximise x instead");
  p->add_option("--columns", pa->columns, "table columns (default: the --by column, the columns naming a point, x, y)")->delimiter(',');
  p->add_option("--format", pa->format, "table, csv or json");
  p->add_option("-o,--output", pa->output, "write to FILE");
  reg.push_back({p, [pa] { return pareto(*pa); }});
}

}  // namespace nnasim::cli
