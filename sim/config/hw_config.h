// Hardware YAML -> HardwareSpec. The parameter tables here are the single declaration of every
// key: they drive parsing, `nnasim --help-config` and the misspelt-key errors.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/config/section.h"

namespace nnasim::config {

// One `--set key=value` (or sweep axis) applied to the YAML before parsing; `where` is where the
// user wrote it, so errors point there.
struct Override {
  std::string key;
  std::string value;
  SourceLoc where;
};

HardwareSpec load_hardware(const std::string& path, const std::vector<Override>& overrides = {});
HardwareSpec parse_hardware(const YAML::Node& root, const Origin& origin);

// Applies overrides to a loaded tree and records where each came from.
void apply_overrides(YAML::Node& root, Origin& origin, const std::vector<Override>& overrides);

// The documentation printed by --help-config.
std::string hardware_help();

}  // namespace nnasim::config
