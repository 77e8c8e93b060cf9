// Non-dominated rows of a sweep's results (CSV or JSON Lines) over any number of numeric columns,
// each minimised or maximised, optionally within groups (`--by hardware`). Values may carry a unit
// ("2 MiB", "12 GB/s"): they compare in SI base units.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace nnasim::sweep {

struct Table {
  std::string file;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  // the file line of each row
  int column(const std::string& name) const;  // -1 when absent
};

// Reads a results CSV with a header line, or (.jsonl, or a file whose first character is '{') the
// JSON Lines a sweep writes with -o results.jsonl: each record becomes a row with the point's
// columns, the CSV's figure and accuracy columns, status, and every scalar of the report under its
// dotted path (energy.breakdown.ocm, area.mm2, ...). A last line without '\n' counts when it is
// whole; a torn one (a sweep killed mid-write) is left out and counted in `torn`. Throws
// InputError with the line.
Table read_table(const std::string& path, int* torn = nullptr);

// "12 GB/s" -> 1.2e10 (bytes/s); "4" -> 4. False when the text is not a number with a known unit.
bool numeric_value(const std::string& text, double* v);

struct Objective {
  std::string column;
  bool maximize = false;
};
// "seconds", "seconds:min", "top1:max" -> Objective; throws InputError naming `where` otherwise.
Objective parse_objective(const std::string& text, const std::string& where);

struct ParetoOptions {
  std::vector<Objective> objectives;  // at least one
  std::string by;
};

struct FrontPoint {
  size_t row = 0;  // index into Table::rows
  std::vector<double> values;  // one per objective, in SI units
  std::string group;
};

struct ParetoResult {
  std::vector<FrontPoint> front;  // groups in order of first appearance; within a group by the
                                  // first objective, best first (ties: the next objectives)
  size_t rows_ok = 0;             // rows whose status is ok (all rows when there is no status)
  std::vector<size_t> skipped;    // per objective: ok rows left out because its value is not a number
};

// Throws InputError (line 1 of the file, the header) when a column is missing, when an objective's
// column holds no number in any ok row, and when the front is empty (no ok row at all).
ParetoResult pareto_front(const Table& t, const ParetoOptions& o);

}  // namespace nnasim::sweep
