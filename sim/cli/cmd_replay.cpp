#include "sim/cli/commands.h"

namespace nnasim::cli {
void register_replay(CLI::App&, Registry&) {}
}  // namespace nnasim::cli
