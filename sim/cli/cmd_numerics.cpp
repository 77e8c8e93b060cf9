#include "sim/cli/commands.h"

namespace nnasim::cli {
void register_numerics(CLI::App&, Registry&) {}
}  // namespace nnasim::cli
