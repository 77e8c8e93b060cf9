#include "sim/sweep/pareto.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/common/error.h"
#include "sim/common/files.h"
#include "sim/sweep/results.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

int Table::column(const std::string& name) const {
  auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : int(it - header.begin());
}

Table read_table(const std::string& path) {
  const std::string text = read_text_file(path, "a sweep results CSV");
  Table t;
  t.file = path;
  size_t start = 0;
  int lineno = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();  // a last line without '\n' is a row too
    std::string line = text.substr(start, nl - start);
    start = nl + 1;
    ++lineno;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> fields;
    if (!parse_csv_line(line, &fields)) throw InputError({path, lineno}, "unbalanced quotes in this CSV line");
    if (t.header.empty()) {
      t.header = fields;
      continue;
    }
    if (fields.size() != t.header.size())
      throw InputError({path, lineno}, fmt::format("{} fields, but the header has {}", fields.size(), t.header.size()));
    t.rows.push_back(std::move(fields));
    t.lines.push_back(lineno);
  }
  if (t.header.empty()) throw InputError({path, 0}, "empty file: expected a CSV with a header line");
  return t;
}

std::vector<FrontPoint> pareto_front(const Table& t, const ParetoOptions& o) {
  auto col = [&](const std::string& name, const char* option) {
    int c = t.column(name);
    if (c < 0)
      throw InputError({option, 0}, fmt::format("no column '{}' in {}: expected one of {}", name, t.file,
                                                fmt::join(t.header, ", ")));
    return c;
  };
  const int cx = col(o.x, "--x"), cy = col(o.y, "--y");
  const int cby = o.by.empty() ? -1 : col(o.by, "--by");
  const int cstatus = t.column("status");
  auto number = [](const std::string& s, double* v) {
    std::string unit;
    return split_number(s, v, &unit) && unit.empty();
  };
  // Normalised so that smaller is better on both axes.
  std::vector<std::string> order;
  std::map<std::string, std::vector<FrontPoint>> groups;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    if (cstatus >= 0 && r[size_t(cstatus)] != "ok") continue;
    FrontPoint p;
    p.row = i;
    if (!number(r[size_t(cx)], &p.x) || !number(r[size_t(cy)], &p.y)) continue;
    p.group = cby >= 0 ? r[size_t(cby)] : "";
    if (!groups.count(p.group)) order.push_back(p.group);
    groups[p.group].push_back(p);
  }
  std::vector<FrontPoint> out;
  for (const auto& g : order) {
    std::vector<FrontPoint>& pts = groups[g];
    auto key = [&](const FrontPoint& p) {
      return std::make_pair(o.minimize_x ? p.x : -p.x, o.maximize_y ? -p.y : p.y);
    };
    // Sorted by (x, y) best first, a point is on the front when its y beats every y before it;
    // equal points are all kept.
    std::stable_sort(pts.begin(), pts.end(), [&](const FrontPoint& a, const FrontPoint& b) { return key(a) < key(b); });
    bool any = false;
    std::pair<double, double> best{0, 0};
    for (const auto& p : pts) {
      auto k = key(p);
      if (!any || k.second < best.second || k == best) {
        out.push_back(p);
        if (!any || k.second < best.second) best = k;
        any = true;
      }
    }
  }
  return out;
}

}  // namespace nnasim::sweep
