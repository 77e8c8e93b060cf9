#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>

#include "sim/trace/trace.h"

namespace nnasim::trace {

using nlohmann::ordered_json;
using program::Kind;

void write_timeline(std::ostream& os, const graph::Graph& g, const HardwareSpec& hw, const run::RunOutput& run,
                    size_t max_slices) {
  const auto& prog = run.schedule.program;
  const auto& timing = run.sim.timing;
  const int n = hw.cores;
  const int dram_pid = n;
  size_t real = 0;
  for (const auto& c : prog.cmds) real += c.kind != Kind::Sync;
  const bool aggregate = real > max_slices;

  ordered_json ev = ordered_json::array();
  auto meta = [&](int pid, int tid, const char* what, const std::string& name) {
    ev.push_back({{"ph", "M"}, {"pid", pid}, {"tid", tid}, {"name", what}, {"args", {{"name", name}}}});
  };
  for (int c = 0; c < n; ++c) {
    meta(c, 0, "process_name", fmt::format("core {}", c));
    for (int u = 0; u < program::kUnits; ++u)
      meta(c, u, "thread_name", program::to_string(static_cast<program::Unit>(u)));
  }
  meta(dram_pid, 0, "process_name", "DRAM channel");
  meta(dram_pid, 0, "thread_name", "transfers");

  // One slice per command (or per run of commands of one layer on one track when aggregating).
  struct Open {
    bool live = false;
    int layer = -1;
    Kind kind = Kind::Sync;
    double start = 0, end = 0;
    int64_t bytes = 0, ops = 0, count = 0;
  };
  std::vector<Open> open(size_t(n) * program::kUnits);
  auto flush = [&](int core, int unit, Open& o) {
    if (!o.live) return;
    ordered_json args = {{"kind", program::to_string(o.kind)}, {"commands", o.count}};
    if (o.bytes) args["dram_bytes"] = o.bytes;
    if (o.ops) args["ops"] = o.ops;
    // Microseconds, as the trace-event format expects.
    ev.push_back({{"ph", "X"}, {"pid", core}, {"tid", unit}, {"name", g.layers[o.layer].name},
                  {"ts", o.start * 1e6}, {"dur", (o.end - o.start) * 1e6}, {"args", args}});
    o.live = false;
  };
  // Commands of one (core, unit) stream run in program order, so walking the program keeps each
  // track's slices sorted and disjoint.
  std::vector<std::pair<double, int64_t>> dram_edges;  // (time, +/- rate in bytes/s)
  for (size_t i = 0; i < prog.cmds.size(); ++i) {
    const auto& c = prog.cmds[i];
    if (c.kind == Kind::Sync) continue;
    const auto& t = timing[i];
    const int unit = static_cast<int>(program::unit_of(c.kind));
    Open& o = open[size_t(c.core) * program::kUnits + unit];
    if (o.live && (!aggregate || o.layer != c.layer || o.kind != c.kind)) flush(c.core, unit, o);
    if (!o.live) o = {true, c.layer, c.kind, t.start, t.end, 0, 0, 0};
    o.end = t.end;
    o.bytes += c.dram_bytes;
    o.ops += c.ops;
    ++o.count;
    if ((c.kind == Kind::Load || c.kind == Kind::Store) && t.end > t.start) {
      ev.push_back({{"ph", "X"}, {"pid", dram_pid}, {"tid", 0}, {"name", g.layers[c.layer].name},
                    {"ts", t.start * 1e6}, {"dur", (t.end - t.start) * 1e6},
                    {"args", {{"core", c.core}, {"kind", program::to_string(c.kind)}, {"bytes", c.dram_bytes}}}});
      const double rate = double(c.dram_bytes) / (t.end - t.start);
      dram_edges.push_back({t.start, static_cast<int64_t>(rate)});
      dram_edges.push_back({t.end, -static_cast<int64_t>(rate)});
    }
  }
  for (int c = 0; c < n; ++c)
    for (int u = 0; u < program::kUnits; ++u) flush(c, u, open[size_t(c) * program::kUnits + u]);
  // The DRAM slices overlap when cores share the channel: keep them on one track per core instead.
  for (auto& e : ev)
    if (e["ph"] == "X" && e["pid"] == dram_pid) e["tid"] = e["args"]["core"];
  for (int c = 0; c < n; ++c) meta(dram_pid, c, "thread_name", fmt::format("core {} transfers", c));

  // Bandwidth counter: the sum of the average rates of the transfers in flight, at every change.
  std::stable_sort(dram_edges.begin(), dram_edges.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  int64_t level = 0;
  for (size_t i = 0; i < dram_edges.size(); ++i) {
    level += dram_edges[i].second;
    if (i + 1 < dram_edges.size() && dram_edges[i + 1].first == dram_edges[i].first) continue;
    ev.push_back({{"ph", "C"}, {"pid", dram_pid}, {"name", "DRAM bandwidth (GB/s)"}, {"ts", dram_edges[i].first * 1e6},
                  {"args", {{"GB/s", std::max<int64_t>(level, 0) / 1e9}}}});
  }

  ordered_json doc;
  doc["traceEvents"] = std::move(ev);
  doc["displayTimeUnit"] = "ns";
  doc["metadata"] = {{"model", g.name},
                     {"hardware", hw.name},
                     {"seconds", run.report.seconds},
                     {"commands", real},
                     {"aggregated", aggregate},
                     {"note", aggregate ? "consecutive commands of one layer on one track are merged into one slice"
                                        : "one slice per command"}};
  os << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace nnasim::trace
