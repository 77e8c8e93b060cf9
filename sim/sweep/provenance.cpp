#include "sim/sweep/provenance.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sim/common/checksum.h"
#include "sim/common/files.h"

namespace nnasim::sweep {

namespace {
constexpr const char* kFormat = "nnasim sweep inputs 2";

// The executable's bytes, or nothing when they cannot be read. This process's own image is read
// through /proc/self/exe, which still names it after the file was replaced or deleted.
std::optional<std::string> executable_bytes(const std::string& exe) {
  try {
    return read_file(exe.empty() ? "/proc/self/exe" : exe, "the nnasim executable");
  } catch (const InputError&) {
    return std::nullopt;
  }
}
}  // namespace

Provenance provenance_of(const SweepSpec& spec, const std::string& exe, bool with_executable) {
  Provenance p;
  if (with_executable) {
    const std::optional<std::string> image = executable_bytes(exe);
    p.executable = image ? checksum_hex(*image) : kUnreadable;
  }
  std::map<std::string, std::string> files;  // path -> checksum of its bytes
  auto file_sum = [&](const std::string& path) -> const std::string& {
    auto it = files.find(path);
    if (it == files.end()) it = files.emplace(path, checksum_hex(read_file(path, "an input of the sweep"))).first;
    return it->second;
  };
  p.inputs.reserve(spec.points.size());
  for (const auto& pt : spec.points) {
    // The point's command line without the executable, its files named by their content (so that
    // the same sweep run from another directory, or with a file moved, still matches).
    std::vector<std::string> argv = pt.argv("");
    std::string paths;
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--hw" || argv[i] == "--model") {
        paths += argv[i + 1] + '\0';
        argv[i + 1] = "file:" + file_sum(argv[i + 1]);
      }
    }
    std::string text;
    for (const auto& a : argv) text += a + '\0';
    for (const auto* s : {&pt.hw_name, &pt.top1, &pt.top1_fp32, &pt.top1_source}) text += *s + '\0';
    p.inputs.push_back(checksum_hex(text));
    p.paths.push_back(checksum_hex(paths));
  }
  return p;
}

std::string provenance_path(const std::string& results) { return results + ".inputs.json"; }

std::string provenance_json(const SweepSpec& spec, const Provenance& p) {
  // One point per line, so that two records can be compared with diff.
  nlohmann::ordered_json head;
  head["format"] = kFormat;
  head["executable"] = p.executable;
  head["identity"] = spec.identity_columns;
  std::string s = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s.pop_back();  // the closing brace
  s += ",\"points\":[";
  for (size_t i = 0; i < spec.points.size(); ++i) {
    nlohmann::ordered_json row = spec.points[i].identity();
    row.push_back(p.inputs.at(i));
    row.push_back(p.paths.at(i));
    s += (i ? ",\n" : "\n") + row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return s + "\n]}\n";
}

std::optional<RecordedProvenance> read_provenance(const std::string& path, size_t points) {
  if (!path_exists(path)) return std::nullopt;
  auto bad = [&](const std::string& what) {
    return InputError({path, 0}, fmt::format("{}: not a record of a sweep's inputs (remove it and run the sweep "
                                             "without --resume)", what));
  };
  // Checked before reading: a hostile record must not exhaust memory in the JSON parser.
  const uint64_t limit = (64u << 10) + uint64_t(points) * (16u << 10);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > limit)
    throw bad(fmt::format("{} bytes, more than a record of this sweep's {} points can be ({})", size, points, limit));
  const std::string text = read_file(path, "a record of a sweep's inputs");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw bad(fmt::format("unreadable JSON ({})", e.what()));
  }
  if (!j.is_object() || j.value("format", nlohmann::json()) != kFormat)
    throw bad(fmt::format("no \"format\": \"{}\"", kFormat));
  if (!j.contains("executable") || !j["executable"].is_string()) throw bad("no \"executable\" checksum");
  if (!j.contains("points") || !j["points"].is_array()) throw bad("no \"points\" list");
  RecordedProvenance r;
  r.executable = j["executable"].get<std::string>();
  for (const auto& row : j["points"]) {
    if (!row.is_array() || row.size() < 2) throw bad("a point is not a list of strings");
    std::vector<std::string> id;
    for (const auto& v : row) {
      if (!v.is_string()) throw bad("a point is not a list of strings");
      id.push_back(v.get<std::string>());
    }
    std::pair<std::string, std::string> sums{id[id.size() - 2], id.back()};
    id.resize(id.size() - 2);
    r.points[id] = sums;
  }
  return r;
}

}  // namespace nnasim::sweep
