// Non-dominated points of a results table: minimise x and maximise y (either can be flipped),
// optionally within groups (`--by hardware`).
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

// Reads a CSV with a header line (a torn last line is ignored). Throws InputError with its line.
Table read_table(const std::string& path);

struct ParetoOptions {
  std::string x = "seconds", y = "top1", by;
  bool minimize_x = true, maximize_y = true;
};

struct FrontPoint {
  size_t row = 0;  // index into Table::rows
  double x = 0, y = 0;
  std::string group;
};

// The non-dominated rows: only rows whose status is "ok" (when there is a status column) and whose
// x and y are numbers take part. Groups in order of first appearance; within a group by x, best
// first. Throws InputError naming the option when a column is missing.
std::vector<FrontPoint> pareto_front(const Table& t, const ParetoOptions& o);

}  // namespace nnasim::sweep
