// What made a results file's rows, so that --resume keeps a row only when re-running its point
// would give the same row: the nnasim executable that ran the points, and per point a checksum of
// everything its row depends on (its run options and --set overrides, the bytes of its hardware
// and model files, its zoo accuracy figures) and one of the paths of those files (an input error's
// status names its file).
//
// Kept beside the results as RESULTS.inputs.json (written after the results file is started and
// before its first row, so that a sweep killed at any moment leaves rows that match it):
//   {"format": "nnasim sweep inputs 2", "executable": "<checksum>",
//    "identity": ["ocm.size", "model", "hardware", "weight_bits"],
//    "points": [[ "256 KiB", "tinynet", "series4-1core", "8", "<inputs>", "<paths>" ], ...]}
// The executable's checksum is "unreadable" when its bytes cannot be read (an execute-only
// binary): its rows are then never kept.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/spec.h"

namespace nnasim::sweep {

struct Provenance {
  std::string executable;                  // checksum of the executable's bytes, or kUnreadable
  std::vector<std::string> inputs, paths;  // by point index
};
constexpr const char* kUnreadable = "unreadable";

// Reads the executable (`exe`, or this process's own image when empty; left out, and
// `executable` empty, when !with_executable) and every hardware and model file of the spec (each
// file once).
Provenance provenance_of(const SweepSpec& spec, const std::string& exe, bool with_executable = true);

std::string provenance_path(const std::string& results);  // RESULTS.inputs.json
std::string provenance_json(const SweepSpec& spec, const Provenance& p);

// A record read back: the executable's checksum, and each point's two checksums by its identity.
struct RecordedProvenance {
  std::string executable;
  std::map<std::vector<std::string>, std::pair<std::string, std::string>> points;  // -> {inputs, paths}
};
// std::nullopt when the file does not exist; InputError({path, 0}, ...) when it is not a record,
// or when it is larger than a record of `points` points can be (at most 64 KiB + 16 KiB a point).
std::optional<RecordedProvenance> read_provenance(const std::string& path, size_t points);

}  // namespace nnasim::sweep
