#include "sim/sweep/results.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "sim/common/files.h"
#include "sim/common/text.h"
#include <sstream>

namespace nnasim::sweep {

const std::vector<std::string> kFigureColumns = {
    "seconds",           "inferences_per_second", "dram_bytes",         "energy_joules",
    "tops_per_watt",     "mac_utilization",       "energy_ocm_joules",  "energy_dram_joules",
    "energy_static_joules", "area_mm2",           "tops_per_mm2",       "efficiency",
    "energy_accumulator_joules"};
const std::vector<std::string> kAccuracyColumns = {"top1", "top1_fp32", "top1_source"};

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The child's error: its "error: ..." line, else its last words, else how it ended. One line.
std::string error_text(const RawResult& r) {
  std::string found, last;
  std::istringstream in(r.err);
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.find_first_not_of(" \t") == std::string::npos) continue;
    last = l;
    if (found.empty() && (l.rfind("error:", 0) == 0 || l.rfind("internal error:", 0) == 0)) found = l;
  }
  std::string s = !found.empty() ? found : !last.empty() ? "error: " + last
                  : r.exit_code < 0      ? fmt::format("error: killed by signal {}", -r.exit_code)
                                         : fmt::format("error: exit status {}", r.exit_code);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string unfinished(const std::string& status) {
  if (is_unfinished(status)) return status;
  std::string s = status;
  if (s.rfind("error: ", 0) == 0) s = s.substr(7);
  return std::string(kUnfinished) + s;
}

std::string num(double v) { return fmt::format("{}", v); }

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw InputError({path, 0}, fmt::format("cannot write the results file: {}", std::strerror(errno)));
    off += size_t(w);
  }
}

}  // namespace

std::vector<std::string> figures_of(const nlohmann::ordered_json& report) {
  const auto& inf = report.at("inference");
  const auto& en = report.at("energy");
  const auto& br = en.at("breakdown");
  std::string area, tops_mm2;
  if (report.contains("area")) {
    area = num(report["area"].at("mm2").get<double>());
    tops_mm2 = num(report["area"].at("tops_per_mm2").get<double>());
  }
  return {num(inf.at("seconds").get<double>()),
          num(inf.at("inferences_per_second").get<double>()),
          std::to_string(report.at("dram").at("read_bytes").get<int64_t>() +
                         report.at("dram").at("write_bytes").get<int64_t>()),
          num(en.at("joules").get<double>()),
          num(en.at("tops_per_watt").get<double>()),
          num(inf.at("mac_utilization").get<double>()),
          num(br.at("ocm").get<double>()),
          num(br.at("dram").get<double>()),
          num(br.at("static").get<double>()),
          area,
          tops_mm2,
          num(inf.at("efficiency").get<double>()),
          num(br.at("accumulator").get<double>())};
}

std::string figures_line(const std::vector<std::string>& figures) { return kFiguresMark + csv_line(figures); }

bool figures_exact(const nlohmann::ordered_json& report) {
  if (report.is_number_float()) return std::isfinite(report.get<double>());
  if (report.is_structured())
    for (const auto& v : report)
      if (!figures_exact(v)) return false;
  return true;
}

bool is_unfinished(const std::string& status) { return status.rfind(kUnfinished, 0) == 0; }

OutputFormat output_format_of(const std::string& path) {
  std::string lower = path.substr(path.size() > 6 ? path.size() - 6 : 0);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (path.empty() || path == "-" || ends_with(lower, ".csv")) return OutputFormat::Csv;
  if (ends_with(lower, ".jsonl")) return OutputFormat::JsonLines;
  throw InputError({"-o", 0}, fmt::format("'{}': expected a results file ending in .csv or .jsonl (JSON Lines), or - "
                                          "for CSV on stdout",
                                          path));
}

std::vector<std::string> csv_columns(const SweepSpec& spec) {
  std::vector<std::string> c = spec.identity_columns;
  c.insert(c.end(), kFigureColumns.begin(), kFigureColumns.end());
  c.insert(c.end(), kAccuracyColumns.begin(), kAccuracyColumns.end());
  c.push_back("status");
  return c;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  return out + "\n";
}

bool parse_csv_line(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields->push_back(cur);
      cur.clear();
      was_quoted = false;
    } else if (c == '\r' && i + 1 == line.size()) {
      // tolerate CRLF files edited elsewhere
    } else {
      cur += c;
    }
  }
  if (quoted) return false;
  fields->push_back(cur);
  return true;
}

Row format_row(const SweepSpec& spec, const RawResult& r, OutputFormat f) {
  const Point& p = spec.points.at(r.index);
  Row row;
  row.index = r.index;
  nlohmann::ordered_json report;
  std::string status;
  std::vector<std::string> figures(kFigureColumns.size());
  bool have_figures = false;
  if (r.exit_code == 0 && !r.out.empty() && r.out[0] == kFiguresMark && f == OutputFormat::Csv) {
    // The figures alone (figures_line), from a forked child of a CSV sweep.
    const std::string line = r.out.substr(1, r.out.find('\n') == std::string::npos ? std::string::npos : r.out.find('\n') - 1);
    std::vector<std::string> fields;
    if (parse_csv_line(line, &fields) && fields.size() == kFigureColumns.size()) {
      figures = std::move(fields);
      have_figures = true;
      status = "ok";
    } else {
      status = "error: unreadable figures from the child process";
    }
  } else if (r.exit_code == 0) {
    try {
      report = nlohmann::ordered_json::parse(r.out);
      status = "ok";
    } catch (const std::exception& e) {
      status = fmt::format("error: unreadable report from the child process: {}", e.what());
    }
  } else {
    status = error_text(r);
  }
  // A point that did not finish (killed, crashed, internal error, no readable report) is marked
  // so that --resume runs it again; an input error (exit 2) is a finished, deterministic answer.
  if (status != "ok" && r.exit_code != 2) status = unfinished(status);
  if (status == "ok" && !have_figures) {
    try {
      figures = figures_of(report);
    } catch (const std::exception& e) {
      status = unfinished(fmt::format("error: incomplete report from the child process: {}", e.what()));
      figures.assign(kFigureColumns.size(), "");
    }
  }
  row.ok = status == "ok";
  std::vector<std::string> id = p.identity();
  if (f == OutputFormat::Csv) {
    std::vector<std::string> fields = id;
    fields.insert(fields.end(), figures.begin(), figures.end());
    fields.insert(fields.end(), {p.top1, p.top1_fp32, p.top1_source});
    fields.push_back(status);
    row.line = csv_line(fields);
  } else {
    nlohmann::ordered_json j;
    nlohmann::ordered_json pt = nlohmann::ordered_json::object();
    for (size_t i = 0; i < id.size(); ++i) pt[spec.identity_columns[i]] = id[i];
    j["point"] = pt;
    auto accuracy = [](const std::string& v) -> nlohmann::ordered_json {
      double d = 0;
      std::string unit;
      if (split_number(v, &d, &unit) && unit.empty()) return d;
      return v;  // "unknown"
    };
    j["top1"] = accuracy(p.top1);
    j["top1_fp32"] = accuracy(p.top1_fp32);
    j["top1_source"] = p.top1_source;
    j["status"] = status;
    j["report"] = row.ok ? report : nlohmann::ordered_json(nullptr);
    row.line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return row;
}

// ---------------------------------------------------------------------------------------------

ResultFile::ResultFile(const SweepSpec& spec, std::string path, bool resume, const std::string& exe)
    : spec_(spec), path_(std::move(path)), format_(output_format_of(path_)) {
  rows_.resize(spec.points.size());
  done_.assign(spec.points.size(), false);
  if (path_.empty() || path_ == "-") {
    if (resume) throw InputError({"--resume", 0}, "--resume needs a results file: give it with -o FILE");
    return;
  }
  const std::string record = provenance_path(path_);
  std::vector<std::string> inputs = {spec.file};
  for (const auto& p : spec.points) inputs.push_back(p.hw_path), inputs.push_back(p.model_path);
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  for (const std::string& out : {path_, record}) {
    // Rows are appended to the file as points finish, and it is rewritten at the end: only a
    // regular file (or a new path) can be that, never a FIFO, a device, a symlink or a directory.
    struct stat st {};
    if (::lstat(out.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      throw InputError({out, 0}, fmt::format("will not replace this with the {}: expected a regular file or a new path",
                                             out == path_ ? "results" : "record of the sweep's inputs"));
    // Nor one of the sweep's own inputs (`sweep s.yaml -o s.yaml` replaced the spec).
    if (!path_exists(out)) continue;
    for (const auto& in : inputs) {
      if (!in.empty() && same_file(in, out))
        throw InputError({out, 0}, fmt::format("is an input of this sweep ({}): give the results another path", in));
    }
  }
  exe_ = exe;
  start_ = provenance_of(spec, exe);
  if (resume) load_previous(start_);
  // The kept rows first, then the record of the inputs, then the new rows: killed between any two
  // writes, the file holds only rows that match the record beside it.
  rewrite();
  write_output(record, provenance_json(spec, start_));
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) throw InputError({path_, 0}, fmt::format("cannot open the results file: {}", std::strerror(errno)));
}

ResultFile::~ResultFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ResultFile::header() const { return format_ == OutputFormat::Csv ? csv_line(csv_columns(spec_)) : ""; }

void ResultFile::load_previous(const Provenance& now) {
  // Nothing to resume (no file, or an empty one): start afresh. A file that cannot be read is an
  // error before anything is written, not a fresh start over its rows.
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || st.st_size == 0) return;
  const std::string text = read_file(path_, "the results of this sweep to resume");
  const std::string record = provenance_path(path_);
  const std::optional<RecordedProvenance> then = read_provenance(record, spec_.points.size());
  const bool same_exe = then && then->executable == now.executable && now.executable != kUnreadable;
  size_t unrecorded = 0, changed = 0, other_exe = 0;
  std::map<std::vector<std::string>, size_t> by_id;
  for (const auto& p : spec_.points) by_id.emplace(p.identity(), p.index);
  const size_t nid = spec_.identity_columns.size();
  const size_t ncols = csv_columns(spec_).size();
  // Only lines ending in '\n' count: a torn last line (killed mid-write) is dropped.
  size_t start = 0, lineno = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;
    std::string line = text.substr(start, nl - start);
    start = nl + 1;
    ++lineno;
    std::vector<std::string> id;
    std::string status;
    if (format_ == OutputFormat::Csv) {
      if (lineno == 1) {
        if (line + "\n" != header())
          throw InputError({path_, 1}, fmt::format("was written by another sweep (its columns differ from {}): "
                                                   "give another -o or remove the file", fmt::join(csv_columns(spec_), ",")));
        continue;
      }
      std::vector<std::string> fields;
      if (!parse_csv_line(line, &fields) || fields.size() != ncols) {
        ++dropped_;
        continue;
      }
      id.assign(fields.begin(), fields.begin() + long(nid));
      status = fields.back();
    } else {
      nlohmann::ordered_json j;
      try {
        j = nlohmann::ordered_json::parse(line);
      } catch (const std::exception&) {
        // Only complete lines reach here (a torn last one was left out above): not a results file.
        throw InputError({path_, int(lineno)}, "is not a line of JSON Lines results: give another -o or remove the file");
      }
      if (!j.is_object() || !j.contains("point") || !j["point"].is_object() || j["point"].size() != nid)
        throw InputError({path_, int(lineno)}, "was written by another sweep (its points have other keys): give another -o or remove the file");
      for (const auto& c : spec_.identity_columns) {
        if (!j["point"].contains(c))
          throw InputError({path_, int(lineno)}, fmt::format("was written by another sweep (no '{}' in its points)", c));
        if (!j["point"][c].is_string())
          throw InputError({path_, int(lineno)}, fmt::format("point field '{}' is {}: expected a string", c, j["point"][c].dump()));
        id.push_back(j["point"][c].get<std::string>());
      }
      if (j.contains("status") && !j["status"].is_string())
        throw InputError({path_, int(lineno)}, fmt::format("'status' is {}: expected a string", j["status"].dump()));
      status = j.value("status", "");
    }
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ++dropped_;
      continue;
    }
    if (is_unfinished(status)) continue;  // killed, crashed or timed out: run it again
    if (done_[it->second]) continue;  // a repeated row: keep the first
    // A finished row is kept only when re-running its point would give it again.
    if (!then) {
      ++unrecorded;
      continue;
    }
    if (!same_exe) {
      ++other_exe;
      continue;
    }
    // The paths count for a row that is not ok: an input error's status names its file.
    auto was = then->points.find(id);
    if (was == then->points.end() || was->second.first != now.inputs[it->second] ||
        (status != "ok" && was->second.second != now.paths[it->second])) {
      ++changed;
      continue;
    }
    done_[it->second] = true;
    rows_[it->second] = line + "\n";
    ++kept_;
    if (status != "ok") ++kept_failed_;
  }
  if (unrecorded)
    throw InputError({record, 0}, fmt::format("is missing, so the {} finished row(s) of {} cannot be traced to their "
                                              "inputs: run the sweep without --resume, or give another -o",
                                              unrecorded, path_));
  if (other_exe)
    notes_.push_back(now.executable == kUnreadable || then->executable == kUnreadable
                         ? fmt::format("{}: {} finished row(s) run again: the nnasim executable could not be read to "
                                       "tell whether it is the one that wrote them", path_, other_exe)
                         : fmt::format("{}: {} finished row(s) run again: another nnasim executable wrote them", path_,
                                       other_exe));
  if (changed)
    notes_.push_back(fmt::format("{}: {} finished row(s) run again: their hardware file, model file or settings "
                                 "changed since they were written (or, for an error row, a file's path)", path_, changed));
}

void ResultFile::rewrite() {
  std::string data = header();
  for (const auto& r : rows_)
    if (r) data += *r;
  write_output(path_, data);  // checked, through a temporary file in the same directory
}

void ResultFile::append(const Row& row) {
  rows_.at(row.index) = row.line;
  if (fd_ >= 0) write_all(fd_, row.line, path_);
}

void ResultFile::finish() {
  if (path_.empty() || path_ == "-") {
    std::string data = header();
    for (const auto& r : rows_)
      if (r) data += *r;
    write_stdout(data);
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rewrite();
  // A hardware or model file edited while the sweep ran: some of its points' rows were made from
  // the old bytes, some from the new, and none can tell which. The record then holds no checksum
  // that matches them, so that --resume runs them all again.
  Provenance end = provenance_of(spec_, exe_, /*with_executable=*/false);
  end.executable = start_.executable;  // the points ran from the image read at the start
  size_t changed = 0;
  for (size_t i = 0; i < end.inputs.size(); ++i)
    if (end.inputs[i] != start_.inputs[i]) end.inputs[i] = "changed while the sweep ran", ++changed;
  if (changed) {
    write_output(provenance_path(path_), provenance_json(spec_, end));
    notes_.push_back(fmt::format("{}: a hardware or model file changed while the sweep ran: {} row(s) may come from "
                                 "either version; --resume runs them again",
                                 path_, changed));
  }
}

}  // namespace nnasim::sweep
