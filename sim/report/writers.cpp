#include "sim/report/writers.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <ostream>

#include "sim/common/error.h"
#include "sim/common/text.h"
#include "sim/graph/compress.h"

namespace nnasim::report {

using nlohmann::ordered_json;

Format parse_format(const std::string& s, const std::string& where) {
  if (s == "table") return Format::Table;
  if (s == "json") return Format::Json;
  if (s == "csv") return Format::Csv;
  throw InputError({where, 0}, fmt::format("unknown format '{}': expected table, json or csv", s));
}

static ordered_json breakdown_json(const energy::Breakdown& b) {
  return ordered_json{{"mac", b.mac},   {"lns", b.lns},   {"vector", b.vector}, {"accumulator", b.accumulator},
                      {"ocm", b.ocm},   {"dram", b.dram}, {"static", b.static_}};
}

ordered_json to_json(const Report& r) {
  ordered_json j;
  j["model"] = r.model;
  j["hardware"] = r.hardware;
  j["mode"] = r.mode;
  j["inference"] = {{"seconds", r.seconds},
                    {"cycles", r.cycles},
                    {"inferences_per_second", r.inferences_per_second},
                    {"mac_utilization", r.mac_utilization},
                    {"bound_seconds", r.bound_seconds},
                    {"efficiency", r.efficiency},
                    {"batch", r.batch}};

  // A run computes `batch` inferences: "inference.seconds" and the totals are the whole run's.
  j["per_inference"] = {{"seconds", r.seconds_per_inference()},
                        {"joules", r.joules_per_inference()},
                        {"dram_read_bytes", double(r.dram_read_bytes) / double(r.batch)},
                        {"dram_write_bytes", double(r.dram_write_bytes) / double(r.batch)},
                        {"dram_weight_read_bytes", double(r.dram_weight_bytes) / double(r.batch)}};
  if (!r.unsupported.empty()) j["unsupported"] = r.unsupported;
  j["fusion_groups"] = r.fusion_groups;
  j["totals"] = {{"macs", r.macs}, {"params", r.params}, {"weight_bytes", r.weight_bytes}};
  j["dram"] = {{"read_bytes", r.dram_read_bytes},
               {"write_bytes", r.dram_write_bytes},
               {"weight_read_bytes", r.dram_weight_bytes},
               {"resident_weight_bytes", r.resident_weight_bytes}};
  j["ocm"] = {{"read_bytes", r.ocm_read_bytes},
              {"write_bytes", r.ocm_write_bytes},
              {"peak_bytes_per_core", r.ocm_peak_bytes},
              {"read_joules_per_byte", r.ocm_read_j_per_byte},
              {"write_joules_per_byte", r.ocm_write_j_per_byte},
              {"leakage_watts_per_core", r.ocm_leakage_w},
              {"cost", r.ocm_cost_pinned ? "pinned" : "capacity"}};
  j["accumulator"] = {{"reads", r.accumulator_reads},
                      {"writes", r.accumulator_writes},
                      {"spill_bytes", r.accumulator_spill_bytes}};
  const double joules = r.energy.total();
  j["energy"] = {{"joules", joules},
                 {"tops_per_watt", r.tops_per_watt},
                 {"static_watts", r.static_power_w},
                 {"breakdown", breakdown_json(r.energy)}};
  if (r.area) {
    const auto& a = *r.area;
    const double mm2 = a.total();
    j["area"] = {{"mm2", mm2},
                 {"node", r.technology_node},
                 {"breakdown", {{"mac", a.mac}, {"accumulator", a.accumulator}, {"ocm", a.ocm}, {"lns", a.lns}, {"vector", a.vector}, {"dma", a.dma}, {"other", a.other}}},
                 {"peak_tops", r.peak_tops},
                 {"peak_tops_per_mm2", mm2 > 0 ? r.peak_tops / mm2 : 0.0},
                 {"tops_per_mm2", mm2 > 0 ? r.tops() / mm2 : 0.0}};
  }
  j["simulation"] = {{"commands", r.events}};
  ordered_json layers = ordered_json::array();
  for (const auto& l : r.layers) {
    layers.push_back({{"name", l.name},
                      {"op", l.op},
                      {"macs", l.macs},
                      {"params", l.params},
                      {"weight_bytes", l.weight_bytes},
                      {"start_seconds", l.start_seconds},
                      {"seconds", l.seconds},
                      {"cycles", l.cycles},
                      {"dram_read_bytes", l.dram_read_bytes},
                      {"dram_write_bytes", l.dram_write_bytes},
                      {"dram_weight_bytes", l.dram_weight_bytes},
                      {"ocm_read_bytes", l.ocm_read_bytes},
                      {"ocm_write_bytes", l.ocm_write_bytes},
                      {"vector_ops", l.vector_ops},
                      {"accumulator_reads", l.accumulator_reads},
                      {"accumulator_writes", l.accumulator_writes},
                      {"accumulator_spill_bytes", l.accumulator_spill_bytes},
                      {"lns_macs", l.lns_macs},
                      {"lns_conversions", l.lns_conversions},
                      {"energy_joules", l.energy.total()},
                      {"energy_breakdown", breakdown_json(l.energy)},
                      {"bound", l.bound},
                      {"bound_seconds", l.bound_seconds},
                      {"efficiency", l.efficiency},
                      {"split", l.split},
                      {"mapping", l.mapping},
                      {"planned_seconds", l.planned_seconds},
                      {"exclusive_seconds", l.exclusive_seconds},
                      {"cores", l.cores},
                      {"tiles", l.tiles},
                      {"output_on_chip", l.output_on_chip},
                      {"fusion_group", l.fusion_group >= 0 ? ordered_json(l.fusion_group) : ordered_json()},
                      {"resident_weight_bytes", l.resident_weight_bytes},
                      {"weight_bits", l.weight_bits},
                      {"act_bits", l.act_bits},
                      {"format", l.format}});
    if (l.measured_seconds) {
      layers.back()["measured_seconds"] = *l.measured_seconds;
      layers.back()["error_pct"] = *l.error_pct();
    }
    if (l.measured_energy_joules) {
      layers.back()["measured_energy_joules"] = *l.measured_energy_joules;
      if (auto e = l.energy_error_pct()) layers.back()["energy_error_pct"] = *e;
    }
  }
  j["layers"] = std::move(layers);
  if (auto c = compare_measured(r)) {
    ordered_json m = ordered_json::object();
    if (c->time.layers > 0) {
      ordered_json worst = ordered_json::array();
      for (int i : c->time.worst)
        worst.push_back({{"name", r.layers[i].name}, {"error_pct", *r.layers[i].error_pct()}});
      m["layers"] = c->time.layers;
      m["seconds"] = c->time.measured;
      m["simulated_seconds"] = c->time.simulated;
      m["error_pct"] = c->time.error_pct;
      m["mean_abs_error_pct"] = c->time.mean_abs_error_pct;
      m["worst_layers"] = worst;
    }
    if (c->energy.layers > 0) {
      ordered_json worst = ordered_json::array();
      for (int i : c->energy.worst)
        worst.push_back({{"name", r.layers[i].name}, {"error_pct", *r.layers[i].energy_error_pct()}});
      m["energy"] = {{"layers", c->energy.layers},
                     {"joules", c->energy.measured},
                     {"simulated_joules", c->energy.simulated},
                     {"error_pct", c->energy.error_pct},
                     {"mean_abs_error_pct", c->energy.mean_abs_error_pct},
                     {"worst_layers", worst}};
    }
    j["measured"] = std::move(m);
  }
  return j;
}

void write_json(std::ostream& os, const Report& r) { os << to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n"; }

static std::string si(double v, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int p = 0;
  while (std::abs(v) >= 1000 && p < 4) v /= 1000, ++p;
  return fmt::format("{:.3g} {}{}", v, prefixes[p], unit);
}
static std::string small(double v, const char* unit) {
  const char* prefixes[] = {"", "m", "u", "n", "p"};
  int p = 0;
  while (v != 0 && std::abs(v) < 1 && p < 4) v *= 1000, ++p;
  return fmt::format("{:.4g} {}{}", v, prefixes[p], unit);
}

void write_table(std::ostream& os, const Report& r) {
  fmt::print(os, "nnasim: {} on {} ({} mode, {} core{})\n\n", r.model, r.hardware, r.mode, r.cores, r.cores > 1 ? "s" : "");
  fmt::print(os, "{:<26}{:>12}{:>10}{:>10}{:>12}{:>12}{:>12}  {:<8}{:>6}\n", "layer", "op", "MMACs", "ms", "DRAM rd",
             "DRAM wr", "energy", "bound", "eff");
  for (const auto& l : r.layers)
    fmt::print(os, "{:<26}{:>12}{:>10.2f}{:>10.4f}{:>12}{:>12}{:>12}  {:<8}{:>6.2f}\n",
               l.name.size() > 25 ? l.name.substr(0, 22) + "..." : l.name, l.op, l.macs / 1e6, l.seconds * 1e3,
               si(double(l.dram_read_bytes), "B"), si(double(l.dram_write_bytes), "B"), small(l.energy.total(), "J"),
               l.bound, l.efficiency);
  const double j = r.energy.total();
  if (r.batch > 1) {
    fmt::print(os, "\nper inference (batch of {})\n", r.batch);
    fmt::print(os, "  time              {}, {:.2f} inferences/s\n", small(r.seconds_per_inference(), "s"),
               r.inferences_per_second);
    fmt::print(os, "  energy            {}\n", small(r.joules_per_inference(), "J"));
    fmt::print(os, "  DRAM              read {} (weights {}), write {}\n", si(double(r.dram_read_bytes) / r.batch, "B"),
               si(double(r.dram_weight_bytes) / r.batch, "B"), si(double(r.dram_write_bytes) / r.batch, "B"));
    fmt::print(os, "\nper batch of {}\n", r.batch);
  } else {
    fmt::print(os, "\nper inference\n");
  }
  fmt::print(os, "  time              {} ({} cycles), {:.2f} inferences/s\n", small(r.seconds, "s"), r.cycles,
             r.inferences_per_second);
  fmt::print(os, "  bound             {} (compute or compulsory DRAM traffic): efficiency {:.2f}\n",
             small(r.bound_seconds, "s"), r.efficiency);
  fmt::print(os, "  MACs              {} ({:.1f}% of peak)\n", si(double(r.macs), ""), 100 * r.mac_utilization);
  fmt::print(os, "  params            {} ({} of weights as stored)\n", si(double(r.params), ""),
             si(double(r.weight_bytes), "B"));
  fmt::print(os, "  DRAM              read {} (weights {}), write {}\n", si(double(r.dram_read_bytes), "B"),
             si(double(r.dram_weight_bytes), "B"), si(double(r.dram_write_bytes), "B"));
  if (r.mode == "steady") fmt::print(os, "  resident weights  {}\n", si(double(r.resident_weight_bytes), "B"));
  fmt::print(os, "  OCM               read {}, write {}, peak {} per core\n", si(double(r.ocm_read_bytes), "B"),
             si(double(r.ocm_write_bytes), "B"), si(double(r.ocm_peak_bytes), "B"));
  fmt::print(os, "  accumulator       {} reads, {} writes of partial sums; {} spilled to OCM\n",
             si(double(r.accumulator_reads), ""), si(double(r.accumulator_writes), ""),
             si(double(r.accumulator_spill_bytes), "B"));
  fmt::print(os, "  energy            {}  (MAC {}, LNS {}, vector {}, accumulator {}, OCM {}, DRAM {}, static {})\n",
             small(j, "J"), small(r.energy.mac, "J"), small(r.energy.lns, "J"), small(r.energy.vector, "J"),
             small(r.energy.accumulator, "J"), small(r.energy.ocm, "J"), small(r.energy.dram, "J"),
             small(r.energy.static_, "J"));
  fmt::print(os, "  energy per op     {:.2f} TOPS/W\n", r.tops_per_watt);
  fmt::print(os, "  OCM cost          {} read, {} write per byte, {} leakage per core ({})\n",
             small(r.ocm_read_j_per_byte, "J"), small(r.ocm_write_j_per_byte, "J"), small(r.ocm_leakage_w, "W"),
             r.ocm_cost_pinned ? "pinned by the config" : "from its capacity");
  if (r.area) {
    const auto& a = *r.area;
    const double mm2 = a.total();
    fmt::print(os, "  area              {:.3g} mm^2{}  (MAC {:.3g}, accumulator {:.3g}, OCM {:.3g}, LNS {:.3g}, vector {:.3g}, "
               "DMA {:.3g}, other {:.3g})\n",
               mm2, r.technology_node.empty() ? "" : " at " + r.technology_node, a.mac, a.accumulator, a.ocm, a.lns, a.vector,
               a.dma, a.other);
    fmt::print(os, "  area efficiency   {:.3g} TOPS/mm^2 achieved, {:.3g} at peak ({:.3g} TOPS)\n",
               mm2 > 0 ? r.tops() / mm2 : 0.0, mm2 > 0 ? r.peak_tops / mm2 : 0.0, r.peak_tops);
  }
  for (size_t k = 0; k < r.fusion_groups.size(); ++k)
    fmt::print(os, "  {:<18}{}\n", k == 0 ? "fused" : "", r.fusion_groups[k]);
  if (!r.unsupported.empty()) {
    std::string names;
    for (const auto& n : r.unsupported) names += (names.empty() ? "" : ", ") + n;
    fmt::print(os, "  unsupported       {} layer(s) costed as zero MACs, data movement only: {}\n",
               r.unsupported.size(), names);
  }
  if (auto c = compare_measured(r)) {
    // One block per measured quantity: totals, mean absolute error, the worst layers.
    auto against = [&](const char* what, const auto& m, const char* unit, auto measured, auto simulated, auto error) {
      if (m.layers <= 0) return;
      fmt::print(os, "\nagainst measured {} ({} layers)\n", what, m.layers);
      fmt::print(os, "  measured {} vs simulated {}: {:+.1f}%; mean absolute error over layers {:.1f}%\n",
                 small(m.measured, unit), small(m.simulated, unit), m.error_pct, m.mean_abs_error_pct);
      fmt::print(os, "  largest disagreements:\n");
      for (int i : m.worst)
        fmt::print(os, "    {:<26} measured {:>12} simulated {:>12} {:+8.1f}%\n", r.layers[i].name,
                   small(measured(r.layers[i]), unit), small(simulated(r.layers[i]), unit), error(r.layers[i]));
    };
    against("time", c->time, "s", [](const auto& l) { return *l.measured_seconds; },
            [](const auto& l) { return l.seconds; }, [](const auto& l) { return *l.error_pct(); });
    against("energy", c->energy, "J", [](const auto& l) { return *l.measured_energy_joules; },
            [](const auto& l) { return l.energy.total(); }, [](const auto& l) { return *l.energy_error_pct(); });
  }
}

void write_csv(std::ostream& os, const Report& r) {
  os << "layer,op,macs,params,weight_bytes,seconds,cycles,dram_read_bytes,dram_write_bytes,ocm_read_bytes,"
        "ocm_write_bytes,energy_joules,bound,bound_seconds,efficiency,accumulator_reads,accumulator_writes,"
        "accumulator_joules,fusion_group,measured_seconds,error_pct,measured_energy_joules,energy_error_pct\n";
  // Empty cells where the trace carried no measurement.
  auto opt = [](const std::optional<double>& v) { return v ? fmt::format("{:.9g}", *v) : std::string(); };
  auto row = [&](const std::string& name, const std::string& op, int64_t macs, int64_t params, int64_t wb, double s,
                 int64_t cyc, int64_t dr, int64_t dw, int64_t orr, int64_t ow, double e, const std::string& bound,
                 double bound_s, double eff, int64_t acc_r, int64_t acc_w, double acc_j) {
    fmt::print(os, "{},{},{},{},{},{:.9g},{},{},{},{},{},{:.9g},{},{:.9g},{:.6g},{},{},{:.9g}", csv_field(name),
               csv_field(op), macs, params, wb, s, cyc, dr, dw, orr, ow, e, csv_field(bound), bound_s, eff, acc_r,
               acc_w, acc_j);
  };
  for (const auto& l : r.layers) {
    row(l.name, l.op, l.macs, l.params, l.weight_bytes, l.seconds, l.cycles, l.dram_read_bytes, l.dram_write_bytes,
        l.ocm_read_bytes, l.ocm_write_bytes, l.energy.total(), l.bound, l.bound_seconds, l.efficiency,
        l.accumulator_reads, l.accumulator_writes, l.energy.accumulator);
    os << "," << (l.fusion_group >= 0 ? std::to_string(l.fusion_group) : "") << "," << opt(l.measured_seconds) << ","
       << opt(l.error_pct()) << "," << opt(l.measured_energy_joules) << "," << opt(l.energy_error_pct()) << "\n";
  }
  row("TOTAL", "", r.macs, r.params, r.weight_bytes, r.seconds, r.cycles, r.dram_read_bytes, r.dram_write_bytes,
      r.ocm_read_bytes, r.ocm_write_bytes, r.energy.total(), "", r.bound_seconds, r.efficiency, r.accumulator_reads,
      r.accumulator_writes, r.energy.accumulator);
  // The total row: sums over the measured layers and their signed total error.
  const auto c = compare_measured(r);
  const bool mt = c && c->time.layers > 0, me = c && c->energy.layers > 0;
  os << ",," << (mt ? fmt::format("{:.9g}", c->time.measured) : "") << ","
     << (mt ? fmt::format("{:.9g}", c->time.error_pct) : "") << ","
     << (me ? fmt::format("{:.9g}", c->energy.measured) : "") << ","
     << (me ? fmt::format("{:.9g}", c->energy.error_pct) : "") << "\n";
}

void write(std::ostream& os, const Report& r, Format f) {
  switch (f) {
    case Format::Table: write_table(os, r); break;
    case Format::Json: write_json(os, r); break;
    case Format::Csv: write_csv(os, r); break;
  }
}

ordered_json info_json(const graph::Graph& g) {
  ordered_json layers = ordered_json::array();
  for (size_t i = 1; i < g.layers.size(); ++i) {
    const auto& l = g.layers[i];
    ordered_json inputs = ordered_json::array();
    for (int p : l.inputs) inputs.push_back(g.layers[p].name);
    layers.push_back({{"name", l.name},
                      {"op", graph::to_string(l.op)},
                      {"inputs", inputs},
                      {"output_shape", {l.out.n, l.out.c, l.out.h, l.out.w}},
                      {"macs", l.cost.macs},
                      {"params", l.cost.params},
                      {"weight_bytes", l.cost.weight_bytes},
                      {"input_bytes", l.cost.input_bytes},
                      {"output_bytes", l.cost.output_bytes},
                      {"weight_bits", l.quant.weight_bits},
                      {"act_bits", l.quant.act_bits},
                      {"format", to_string(l.quant.format)}});
    if (l.compression.clusters > 0) {
      layers.back()["clusters"] = l.compression.clusters;
      layers.back()["uncompressed_weight_bytes"] = graph::uncompressed_weight_bytes(l);
      layers.back()["compression_ratio"] = graph::compression_ratio(l);
    }
  }
  graph::Cost t = g.totals();
  ordered_json j;
  j["model"] = g.name;
  j["totals"] = {{"macs", t.macs}, {"params", t.params}, {"weight_bytes", t.weight_bytes}, {"layers", g.layers.size() - 1}};
  const auto z = graph::compression_totals(g);
  if (z.compressed_layers > 0)
    j["compression"] = {{"compressed_layers", z.compressed_layers},
                        {"uncompressed_weight_bytes", z.uncompressed_bytes},
                        {"weight_bytes", z.compressed_bytes},
                        {"ratio", z.ratio}};
  j["layers"] = std::move(layers);
  return j;
}

void write_info(std::ostream& os, const graph::Graph& g, Format f) {
  if (f == Format::Json) {
    os << info_json(g).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  if (f == Format::Csv) {
    os << "layer,op,output_shape,macs,params,weight_bytes,input_bytes,output_bytes,weight_bits,act_bits,format\n";
    for (size_t i = 1; i < g.layers.size(); ++i) {
      const auto& l = g.layers[i];
      fmt::print(os, "{},{},{}x{}x{}x{},{},{},{},{},{},{},{},{}\n", csv_field(l.name), graph::to_string(l.op), l.out.n, l.out.c,
                 l.out.h, l.out.w, l.cost.macs, l.cost.params, l.cost.weight_bytes, l.cost.input_bytes,
                 l.cost.output_bytes, l.quant.weight_bits, l.quant.act_bits, to_string(l.quant.format));
    }
    return;
  }
  fmt::print(os, "{}: {} layers\n\n{:<28}{:>14}{:>20}{:>14}{:>12}{:>14}{:>14}\n", g.name, g.layers.size() - 1, "layer", "op",
             "output", "MACs", "params", "weight B", "output B");
  for (size_t i = 1; i < g.layers.size(); ++i) {
    const auto& l = g.layers[i];
    fmt::print(os, "{:<28}{:>14}{:>20}{:>14}{:>12}{:>14}{:>14}\n", l.name.size() > 27 ? l.name.substr(0, 24) + "..." : l.name,
               graph::to_string(l.op),
               l.out.d == 1 ? fmt::format("{}x{}x{}", l.out.c, l.out.h, l.out.w)
                            : fmt::format("{}x{}x{}x{}", l.out.c, l.out.d, l.out.h, l.out.w),
               l.cost.macs, l.cost.params,
               l.cost.weight_bytes, l.cost.output_bytes);
  }
  graph::Cost t = g.totals();
  fmt::print(os, "\ntotal: {} MACs, {} params, {} weight bytes\n", t.macs, t.params, t.weight_bytes);
  const auto z = graph::compression_totals(g);
  if (z.compressed_layers > 0)
    fmt::print(os, "cluster compression: {} layers, {} -> {} weight bytes ({:.2f}x)\n", z.compressed_layers,
               z.uncompressed_bytes, z.compressed_bytes, z.ratio);
}

}  // namespace nnasim::report
