#include "sim/report/compare.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "sim/common/error.h"
#include "sim/common/text.h"
#include "sim/common/files.h"

namespace nnasim::report {

using nlohmann::json;

std::optional<double> Metric::ratio() const {
  if (!a || !b) return std::nullopt;
  if (*a == *b) return 1.0;
  if (*a == 0) return std::nullopt;
  return *b / *a;
}

namespace {

json read_report(const std::string& path) {
  // The common reader: a missing, unreadable or empty file or a directory is one error with its cause.
  const std::string text = read_file(path, "a report written by nnasim run --format json");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    int line = 1;
    for (size_t i = 0; i < std::min(text.size(), e.byte > 0 ? size_t(e.byte - 1) : size_t(0)); ++i) line += text[i] == '\n';
    throw InputError({path, line}, "not JSON: expected a report written by nnasim run --format json");
  }
  if (!j.is_object() || !j.contains("inference") || !j.contains("layers") || !j["layers"].is_array())
    throw InputError({path, 1}, "not a run report (no 'inference' or 'layers'): expected nnasim run --format json output");
  return j;
}

// A number at a JSON pointer, if there.
std::optional<double> at(const json& j, const char* ptr) {
  const json::json_pointer p(ptr);
  if (!j.contains(p) || !j.at(p).is_number()) return std::nullopt;
  return j.at(p).get<double>();
}

std::optional<double> sum(std::optional<double> x, std::optional<double> y) {
  if (!x && !y) return std::nullopt;
  return x.value_or(0) + y.value_or(0);
}

std::vector<Metric> layer_metrics(const json* a, const json* b) {
  auto get = [](const json* l, const char* key) -> std::optional<double> {
    if (!l || !l->contains(key) || !(*l)[key].is_number()) return std::nullopt;
    return (*l)[key].get<double>();
  };
  auto dram = [&](const json* l) { return sum(get(l, "dram_read_bytes"), get(l, "dram_write_bytes")); };
  std::vector<Metric> m = {{"seconds", get(a, "seconds"), get(b, "seconds")},
                           {"dram_bytes", dram(a), dram(b)},
                           {"energy_joules", get(a, "energy_joules"), get(b, "energy_joules")}};
  Metric eff{"efficiency", get(a, "efficiency"), get(b, "efficiency")};
  if (eff.a || eff.b) m.push_back(eff);
  return m;
}

std::string num(const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : "-"; }
std::string ratio_text(const Metric& m) {
  if (auto r = m.ratio()) return fmt::format("{:.4f}", *r);
  if (m.a && m.b) return "inf";  // 0 -> nonzero
  return "-";
}

}  // namespace

RunComparison compare_reports(const json& a, const json& b, const std::string& file_a, const std::string& file_b) {
  RunComparison c;
  c.file_a = file_a, c.file_b = file_b;
  // A report's text fields, and its layers, of the right JSON types (not an internal type_error).
  for (const auto& [r, file] : {std::pair{&a, &file_a}, std::pair{&b, &file_b}}) {
    for (const char* k : {"model", "hardware"})
      if (r->contains(k) && !(*r)[k].is_string())
        throw InputError({*file, 0}, fmt::format("'{}' is {}: expected a string (a report of nnasim run --format json)", k,
                                                 (*r)[k].dump()));
    if (r->contains("layers")) {
      if (!(*r)["layers"].is_array()) throw InputError({*file, 0}, "'layers' is not a list: expected a report of nnasim run --format json");
      std::set<std::string> names;  // layers are matched by name: two of one name would be merged
      for (const auto& l : (*r)["layers"]) {
        if (!l.is_object() || !l.contains("name") || !l["name"].is_string() || (l.contains("op") && !l["op"].is_string()))
          throw InputError({*file, 0}, fmt::format("layer {} is not an object with a string name and op", l.dump().substr(0, 80)));
        if (!names.insert(l["name"].get<std::string>()).second)
          throw InputError({*file, 0}, fmt::format("two layers are named '{}': expected one name per layer (a report of "
                                                   "nnasim run --format json)",
                                                   escape_text(l["name"].get<std::string>())));
      }
    }
  }
  c.model_a = a.value("model", ""), c.model_b = b.value("model", "");
  c.hardware_a = a.value("hardware", ""), c.hardware_b = b.value("hardware", "");
  auto total = [&](const char* name, const char* ptr) { c.totals.push_back({name, at(a, ptr), at(b, ptr)}); };
  total("seconds", "/inference/seconds");
  total("inferences_per_second", "/inference/inferences_per_second");
  total("mac_utilization", "/inference/mac_utilization");
  c.totals.push_back({"dram_bytes", sum(at(a, "/dram/read_bytes"), at(a, "/dram/write_bytes")),
                      sum(at(b, "/dram/read_bytes"), at(b, "/dram/write_bytes"))});
  total("energy_joules", "/energy/joules");
  total("tops_per_watt", "/energy/tops_per_watt");
  for (const auto& [name, ptr] : std::vector<std::pair<const char*, const char*>>{
           {"energy_mac_joules", "/energy/breakdown/mac"},
           {"energy_ocm_joules", "/energy/breakdown/ocm"},
           {"energy_dram_joules", "/energy/breakdown/dram"},
           {"energy_static_joules", "/energy/breakdown/static"},
           {"efficiency", "/inference/efficiency"},
           {"area_mm2", "/area/mm2"},
           {"tops_per_mm2", "/area/tops_per_mm2"}}) {
    Metric m{name, at(a, ptr), at(b, ptr)};
    if (m.a || m.b) c.totals.push_back(m);
  }

  static const json kNoLayers = json::array();
  auto layers = [](const json& r) -> const json& { return r.contains("layers") ? r["layers"] : kNoLayers; };
  std::map<std::string, const json*> in_b;
  for (const auto& l : layers(b)) in_b[l.value("name", "")] = &l;
  std::map<std::string, bool> seen;
  for (const auto& l : layers(a)) {
    const std::string name = l.value("name", "");
    auto it = in_b.find(name);
    const json* lb = it == in_b.end() ? nullptr : it->second;
    seen[name] = true;
    c.layers.push_back({name, l.value("op", ""), lb ? "both" : "only A", layer_metrics(&l, lb)});
  }
  for (const auto& l : layers(b)) {
    const std::string name = l.value("name", "");
    if (!seen.count(name)) c.layers.push_back({name, l.value("op", ""), "only B", layer_metrics(nullptr, &l)});
  }
  auto change = [](const LayerDiff& d, size_t i) {
    const Metric& m = d.metrics[i];
    return std::fabs(m.b.value_or(0) - m.a.value_or(0));
  };
  std::stable_sort(c.layers.begin(), c.layers.end(), [&](const LayerDiff& x, const LayerDiff& y) {
    const double sx = change(x, 0), sy = change(y, 0);
    if (sx != sy) return sx > sy;
    return change(x, 2) > change(y, 2);
  });
  return c;
}

RunComparison compare_runs(const std::string& file_a, const std::string& file_b) {
  return compare_reports(read_report(file_a), read_report(file_b), file_a, file_b);
}

void write_comparison(std::ostream& os, const RunComparison& c, Format f) {
  if (f == Format::Json) {
    auto metric = [](const Metric& m) {
      nlohmann::ordered_json j;
      j["a"] = m.a ? json(*m.a) : json(nullptr);
      j["b"] = m.b ? json(*m.b) : json(nullptr);
      j["ratio"] = m.ratio() ? json(*m.ratio()) : json(nullptr);
      return j;
    };
    nlohmann::ordered_json j;
    j["a"] = {{"file", c.file_a}, {"model", c.model_a}, {"hardware", c.hardware_a}};
    j["b"] = {{"file", c.file_b}, {"model", c.model_b}, {"hardware", c.hardware_b}};
    nlohmann::ordered_json totals;
    for (const auto& m : c.totals) totals[m.name] = metric(m);
    j["totals"] = totals;
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const auto& l : c.layers) {
      nlohmann::ordered_json x;
      x["name"] = l.name;
      x["op"] = l.op;
      x["in"] = l.presence;
      for (const auto& m : l.metrics) x[m.name] = metric(m);
      layers.push_back(x);
    }
    j["layers"] = layers;
    os << j.dump(2) << "\n";
    return;
  }
  if (f == Format::Csv) {
    os << "layer,op,in,metric,a,b,ratio\n";
    auto row = [&](const std::string& name, const std::string& op, const std::string& in, const Metric& m) {
      fmt::print(os, "{},{},{},{},{},{},{}\n", csv_field(name), csv_field(op), in, m.name, m.a ? fmt::format("{:.9g}", *m.a) : "",
                 m.b ? fmt::format("{:.9g}", *m.b) : "", m.ratio() ? fmt::format("{:.9g}", *m.ratio()) : "");
    };
    for (const auto& m : c.totals) row("TOTAL", "", "both", m);
    for (const auto& l : c.layers)
      for (const auto& m : l.metrics) row(l.name, l.op, l.presence, m);
    return;
  }
  fmt::print(os, "A: {} ({} on {})\nB: {} ({} on {})\nratio = B / A\n\n", c.file_a, c.model_a, c.hardware_a, c.file_b,
             c.model_b, c.hardware_b);
  fmt::print(os, "{:<24}{:>14}{:>14}{:>10}\n", "total", "A", "B", "ratio");
  for (const auto& m : c.totals) fmt::print(os, "{:<24}{:>14}{:>14}{:>10}\n", m.name, num(m.a), num(m.b), ratio_text(m));
  const bool eff = std::any_of(c.layers.begin(), c.layers.end(), [](const LayerDiff& l) { return l.metrics.size() > 3; });
  fmt::print(os, "\nper layer, the biggest change in seconds first (then in energy)\n");
  fmt::print(os, "{:<35}{:>11}{:>11}{:>8}{:>12}{:>12}{:>8}{:>11}{:>11}{:>8}", "layer", "ms A", "ms B", "ratio",
             "DRAM A", "DRAM B", "ratio", "uJ A", "uJ B", "ratio");
  if (eff) fmt::print(os, "{:>8}{:>8}{:>8}", "eff A", "eff B", "ratio");
  fmt::print(os, "\n");
  auto scaled = [](const std::optional<double>& v, double k) { return v ? fmt::format("{:.4g}", *v * k) : "-"; };
  for (const auto& l : c.layers) {
    // Long names keep their end, which tells layers apart ("...conv.0.0/Conv").
    auto tail = [](const std::string& n, size_t w) { return n.size() > w ? "..." + n.substr(n.size() - (w - 3)) : n; };
    std::string name = tail(l.name, 33);
    if (l.presence != "both") name = tail(l.name, 24) + " (" + l.presence + ")";
    const auto& s = l.metrics[0];
    const auto& d = l.metrics[1];
    const auto& e = l.metrics[2];
    fmt::print(os, "{:<35}{:>11}{:>11}{:>8}{:>12}{:>12}{:>8}{:>11}{:>11}{:>8}", name, scaled(s.a, 1e3), scaled(s.b, 1e3),
               ratio_text(s), scaled(d.a, 1), scaled(d.b, 1), ratio_text(d), scaled(e.a, 1e6), scaled(e.b, 1e6),
               ratio_text(e));
    if (eff) {
      if (l.metrics.size() > 3)
        fmt::print(os, "{:>8}{:>8}{:>8}", scaled(l.metrics[3].a, 1), scaled(l.metrics[3].b, 1), ratio_text(l.metrics[3]));
      else
        fmt::print(os, "{:>8}{:>8}{:>8}", "-", "-", "-");
    }
    fmt::print(os, "\n");
  }
}

}  // namespace nnasim::report
