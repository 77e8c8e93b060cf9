#include "sim/sweep/pareto.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/common/error.h"
#include "sim/config/units.h"
#include "sim/common/files.h"
#include "sim/sweep/results.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

int Table::column(const std::string& name) const {
  auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : int(it - header.begin());
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string scalar_text(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return v.dump();
}

// Every scalar under its dotted path; arrays (the layers) are left out.
void flatten(const nlohmann::ordered_json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>* out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object())
      flatten(*it, key, out);
    else if (!it->is_array())
      out->push_back({key, scalar_text(*it)});
  }
}

// One JSON Lines record -> (column, value) pairs in column order.
std::vector<std::pair<std::string, std::string>> jsonl_fields(const nlohmann::ordered_json& j) {
  std::vector<std::pair<std::string, std::string>> f;
  if (j.contains("point") && j["point"].is_object())
    for (auto it = j["point"].begin(); it != j["point"].end(); ++it) f.push_back({it.key(), scalar_text(*it)});
  const bool ok = j.value("status", "") == "ok" && j.contains("report") && j["report"].is_object();
  std::vector<std::string> figures(kFigureColumns.size());
  if (ok) {
    try {
      figures = figures_of(j["report"]);
    } catch (const std::exception&) {
    }
  }
  for (size_t i = 0; i < kFigureColumns.size(); ++i) f.push_back({kFigureColumns[i], figures[i]});
  for (const auto& c : kAccuracyColumns) f.push_back({c, j.contains(c) ? scalar_text(j[c]) : ""});
  f.push_back({"status", j.contains("status") ? scalar_text(j["status"]) : ""});
  if (ok) {
    std::vector<std::pair<std::string, std::string>> rep;
    flatten(j["report"], "", &rep);
    for (auto& kv : rep)  // the point's own columns (model, hardware) win
      if (std::none_of(f.begin(), f.end(), [&](const auto& e) { return e.first == kv.first; })) f.push_back(std::move(kv));
  }
  return f;
}

}  // namespace

Table read_table(const std::string& path, int* torn) {
  const std::string text = read_text_file(path, "a sweep results file (CSV or JSON Lines)");
  if (torn) *torn = 0;
  Table t;
  t.file = path;
  const size_t first = text.find_first_not_of(" \t\r\n");
  const bool jsonl = ends_with(path, ".jsonl") || (first != std::string::npos && text[first] == '{');
  std::vector<std::vector<std::pair<std::string, std::string>>> records;  // JSON Lines
  std::map<std::string, size_t> col_index;
  size_t start = 0;
  int lineno = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    const bool last_unterminated = nl == std::string::npos;
    std::string line = text.substr(start, last_unterminated ? std::string::npos : nl - start);
    start = last_unterminated ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (jsonl) {
      nlohmann::ordered_json j;
      try {
        j = nlohmann::ordered_json::parse(line);
      } catch (const std::exception& e) {
        if (last_unterminated) {
          if (torn) ++*torn;
          break;
        }
        throw InputError({path, lineno}, "not a JSON object: expected one sweep record per line (nnasim sweep -o FILE.jsonl)");
      }
      if (!j.is_object() || !j.contains("status"))
        throw InputError({path, lineno}, "expected a sweep record {\"point\": ..., \"status\": ..., \"report\": ...}");
      if (!j["status"].is_string())
        throw InputError({path, lineno}, fmt::format("'status' is {}: expected a string", j["status"].dump()));
      auto f = jsonl_fields(j);
      for (const auto& [k, v] : f)
        if (col_index.emplace(k, t.header.size()).second) t.header.push_back(k);
      records.push_back(std::move(f));
      t.lines.push_back(lineno);
      continue;
    }
    std::vector<std::string> fields;
    const bool balanced = parse_csv_line(line, &fields);
    // A last line without '\n' cut short by a killed sweep: fields missing, or, in a file whose
    // statuses are a sweep's (each "ok" or "error..."), a status that is not a whole one ("o" of "ok").
    const int cstatus = t.column("status");
    auto sweep_status = [&](const std::string& st) { return st == "ok" || st.rfind("error", 0) == 0; };
    if (last_unterminated && !t.header.empty() &&
        (!balanced || fields.size() != t.header.size() ||
         (cstatus >= 0 && !sweep_status(fields[size_t(cstatus)]) &&
          std::all_of(t.rows.begin(), t.rows.end(), [&](const auto& r) { return sweep_status(r[size_t(cstatus)]); })))) {
      if (torn) ++*torn;
      break;
    }
    if (!balanced) throw InputError({path, lineno}, "unbalanced quotes in this CSV line");
    if (t.header.empty()) {
      for (size_t i = 0; i < fields.size(); ++i)
        if (std::find(fields.begin(), fields.begin() + long(i), fields[i]) != fields.begin() + long(i))
          throw InputError({path, lineno}, fmt::format("column '{}' appears twice", fields[i]));
      t.header = fields;
      continue;
    }
    if (fields.size() != t.header.size())
      throw InputError({path, lineno}, fmt::format("{} fields, but the header has {}", fields.size(), t.header.size()));
    t.rows.push_back(std::move(fields));
    t.lines.push_back(lineno);
  }
  if (jsonl) {
    for (const auto& rec : records) {
      std::vector<std::string> row(t.header.size());
      for (const auto& [k, v] : rec) row[col_index[k]] = v;
      t.rows.push_back(std::move(row));
    }
    if (t.rows.empty()) throw InputError({path, 0}, "no records: expected the JSON Lines of a sweep");
  }
  if (t.header.empty()) throw InputError({path, 0}, "empty file: expected a CSV with a header line");
  return t;
}

bool numeric_value(const std::string& text, double* v) {
  double n = 0;
  std::string unit;
  if (!split_number(text, &n, &unit)) return false;
  if (unit.empty()) {
    *v = n;
    return true;
  }
  for (auto q : {config::Quantity::Bytes, config::Quantity::Bandwidth, config::Quantity::Frequency,
                 config::Quantity::Energy, config::Quantity::Time, config::Quantity::EnergyPerByte,
                 config::Quantity::Power, config::Quantity::Area}) {
    try {
      *v = config::parse_quantity(text, q);
      return true;
    } catch (const std::invalid_argument&) {
    }
  }
  return false;
}

Objective parse_objective(const std::string& text, const std::string& where) {
  Objective o;
  auto colon = text.rfind(':');
  o.column = colon == std::string::npos ? text : text.substr(0, colon);
  if (colon != std::string::npos) {
    std::string dir = text.substr(colon + 1);
    if (dir == "max")
      o.maximize = true;
    else if (dir != "min")
      throw InputError({where, 0}, fmt::format("'{}': expected COLUMN, COLUMN:min or COLUMN:max", text));
  }
  if (o.column.empty()) throw InputError({where, 0}, fmt::format("'{}': no column name", text));
  return o;
}

ParetoResult pareto_front(const Table& t, const ParetoOptions& o) {
  if (o.objectives.empty()) throw InputError({"--objective", 0}, "no objective: give at least one column");
  auto col = [&](const std::string& name) {
    int c = t.column(name);
    if (c < 0)
      throw InputError({t.file, 1}, fmt::format("no column '{}': expected one of {}", name, fmt::join(t.header, ", ")));
    return c;
  };
  std::vector<int> cols;
  for (const auto& ob : o.objectives) cols.push_back(col(ob.column));
  const int cby = o.by.empty() ? -1 : col(o.by);
  const int cstatus = t.column("status");
  const size_t k = cols.size();
  ParetoResult res;
  res.skipped.assign(k, 0);
  std::vector<size_t> numeric(k, 0);
  std::vector<std::string> order;
  std::map<std::string, std::vector<FrontPoint>> groups;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    if (cstatus >= 0 && r[size_t(cstatus)] != "ok") continue;
    ++res.rows_ok;
    FrontPoint p;
    p.row = i;
    bool all = true;
    for (size_t j = 0; j < k; ++j) {
      double v = 0;
      if (!numeric_value(r[size_t(cols[j])], &v)) {
        ++res.skipped[j];
        all = false;
        continue;
      }
      ++numeric[j];
      p.values.push_back(o.objectives[j].maximize ? -v : v);  // smaller is better from here on
    }
    if (!all) continue;
    p.group = cby >= 0 ? r[size_t(cby)] : "";
    if (!groups.count(p.group)) order.push_back(p.group);
    groups[p.group].push_back(std::move(p));
  }
  if (res.rows_ok == 0)
    throw InputError({t.file, 0}, cstatus >= 0 ? "no row has status ok: the front is empty" : "no rows: the front is empty");
  for (size_t j = 0; j < k; ++j)
    if (numeric[j] == 0)
      throw InputError({t.file, 1}, fmt::format("column '{}' holds no number in any ok row (e.g. '{}'): expected a "
                                                "numeric column, with or without a unit",
                                                o.objectives[j].column, t.rows.empty() ? "" : t.rows.front()[size_t(cols[j])]));
  size_t total = 0;
  for (const auto& g : order) total += groups[g].size();
  if (total == 0)
    throw InputError({t.file, 1}, fmt::format("no ok row has a number in every objective column ({}): the front is empty",
                                              [&] {
                                                std::vector<std::string> n;
                                                for (const auto& ob : o.objectives) n.push_back(ob.column);
                                                return fmt::format("{}", fmt::join(n, ", "));
                                              }()));
  for (const auto& g : order) {
    std::vector<FrontPoint>& pts = groups[g];
    // Sorted lexicographically, a point can only be dominated by one before it. Equal points are
    // all kept (neither dominates the other).
    std::stable_sort(pts.begin(), pts.end(), [](const FrontPoint& a, const FrontPoint& b) { return a.values < b.values; });
    std::vector<const FrontPoint*> kept;
    for (const auto& p : pts) {
      bool dominated = false;
      for (const FrontPoint* q : kept) {
        bool no_worse = true, better = false;
        for (size_t j = 0; j < k; ++j) {
          if (q->values[j] > p.values[j]) no_worse = false;
          if (q->values[j] < p.values[j]) better = true;
        }
        if (no_worse && better) {
          dominated = true;
          break;
        }
      }
      if (!dominated) kept.push_back(&p);
    }
    for (const FrontPoint* q : kept) {
      FrontPoint out = *q;
      for (size_t j = 0; j < k; ++j)
        if (o.objectives[j].maximize) out.values[j] = -out.values[j];
      res.front.push_back(std::move(out));
    }
  }
  return res;
}

}  // namespace nnasim::sweep
