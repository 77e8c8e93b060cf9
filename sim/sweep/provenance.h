// What made a results file's rows, so that --resume keeps a row only when re-running its point
// would give the same row: the nnasim executable that ran the points, and per point a checksum of
// everything its row depends on (its run options and --set overrides, the bytes of its hardware
// and model files, its zoo accuracy figures).
//
// Kept beside the results as RESULTS.inputs.json (written before the first row, so that a sweep
// killed at any moment leaves it):
//   {"format": "nnasim sweep inputs 1", "executable": "<checksum>",
//    "identity": ["ocm.size", "model", "hardware", "weight_bits"],
//    "points": [[ "256 KiB", "tinynet", "series4-1core", "8", "<checksum>" ], ...]}
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/spec.h"

namespace nnasim::sweep {

struct Provenance {
  std::string executable;           // checksum of the executable's bytes
  std::vector<std::string> inputs;  // by point index
};

// Reads the executable and every hardware and model file of the spec (each file once).
Provenance provenance_of(const SweepSpec& spec, const std::string& exe);

std::string provenance_path(const std::string& results);  // RESULTS.inputs.json
std::string provenance_json(const SweepSpec& spec, const Provenance& p);

// A record read back: the executable's checksum, and each point's inputs checksum by its identity.
struct RecordedProvenance {
  std::string executable;
  std::map<std::vector<std::string>, std::string> inputs;
};
// std::nullopt when the file does not exist; InputError({path, 0}, ...) when it is not a record.
std::optional<RecordedProvenance> read_provenance(const std::string& path);

}  // namespace nnasim::sweep
