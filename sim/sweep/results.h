// One result row per sweep point: the child's output -> a CSV line or a JSON Lines record, and the
// results file that rows are appended to as points finish, re-sorted into point order at the end.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/provenance.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

// What a point's child process left behind.
struct RawResult {
  size_t index = 0;
  int exit_code = 0;  // exit status, or -signal when it was killed
  std::string out, err;
};

// Status of a point that did not finish (killed, crashed, internal error, unreadable report):
// "error: unfinished: ...". --resume runs such points again; "ok" and input errors are kept.
constexpr const char* kUnfinished = "error: unfinished: ";
bool is_unfinished(const std::string& status);

enum class OutputFormat { Csv, JsonLines };
// .csv, "" and "-" (stdout) -> CSV; .jsonl -> JSON Lines (either case); any other name is an
// InputError naming -o
// (`-o res.json` wrote CSV into it).
OutputFormat output_format_of(const std::string& path);

// Columns of the CSV: identity columns, then the figures, the accuracy columns and status.
std::vector<std::string> csv_columns(const SweepSpec& spec);
extern const std::vector<std::string> kFigureColumns;   // seconds ... tops_per_mm2, efficiency, energy_accumulator_joules
extern const std::vector<std::string> kAccuracyColumns;  // top1, top1_fp32, top1_source
// The figure columns of one `nnasim run --format json` report (area columns empty without an area
// table). Throws nlohmann's exceptions when a field is missing.
std::vector<std::string> figures_of(const nlohmann::ordered_json& report);

// What a point's worker writes instead of its JSON report when the results are a CSV: the
// figure columns as one CSV line after a record-separator byte (a JSON report never starts with it).
constexpr char kFiguresMark = '\x1e';
std::string figures_line(const std::vector<std::string>& figures);
// True when every number of the report is finite, so that its figures read from the JSON text
// would be the same strings (a non-finite number is written as null).
bool figures_exact(const nlohmann::ordered_json& report);

// A formatted row: one line of text ending in '\n'.
struct Row {
  size_t index = 0;
  bool ok = false;
  std::string line;
};
Row format_row(const SweepSpec& spec, const RawResult& r, OutputFormat f);

// CSV helpers: RFC 4180 quoting; every row written here is one physical line.
std::string csv_line(const std::vector<std::string>& fields);  // with the trailing '\n'
// Parses one line (without '\n'); false when quotes are unbalanced.
bool parse_csv_line(const std::string& line, std::vector<std::string>* fields);

// The results file. Rows are appended with one write() each, so a sweep killed at any moment
// leaves whole rows and at most one torn last line; finish() rewrites the file in point order
// (atomically: a temporary file renamed over it). Path "" or "-" collects rows for stdout.
// Beside a results file, the record of its inputs (provenance.h), written before the first row:
// --resume keeps a finished row only when its point's inputs and the executable `exe` (empty:
// this process's own) are the ones recorded, runs the others again, and refuses finished rows
// that have no record.
class ResultFile {
 public:
  ResultFile(const SweepSpec& spec, std::string path, bool resume, const std::string& exe);
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  OutputFormat format() const { return format_; }
  // Points kept from the previous run (--resume); their count and how many of them failed.
  const std::vector<bool>& done() const { return done_; }
  size_t kept() const { return kept_; }
  size_t kept_failed() const { return kept_failed_; }
  size_t dropped() const { return dropped_; }
  // What --resume found (rows run again because their inputs changed), and after finish() whether
  // an input changed while the sweep ran; one line each.
  const std::vector<std::string>& notes() const { return notes_; }

  void append(const Row& row);
  void finish();

 private:
  void load_previous(const Provenance& now);
  void rewrite();
  std::string header() const;

  const SweepSpec& spec_;
  std::string path_;
  OutputFormat format_;
  std::vector<std::optional<std::string>> rows_;  // by point index
  std::vector<bool> done_;
  size_t kept_ = 0, kept_failed_ = 0, dropped_ = 0;
  std::vector<std::string> notes_;
  std::string exe_;
  Provenance start_;  // the inputs when the sweep started (checked again at finish())
  int fd_ = -1;
};

}  // namespace nnasim::sweep
