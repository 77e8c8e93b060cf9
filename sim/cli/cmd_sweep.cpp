#include "sim/cli/commands.h"

namespace nnasim::cli {
void register_sweep(CLI::App&, Registry&) {}
}  // namespace nnasim::cli
