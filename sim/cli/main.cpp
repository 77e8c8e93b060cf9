// The nnasim executable. Subcommands live in commands_*.cpp; this file owns the one place where an
// error becomes an exit status: InputError -> "error: FILE:LINE: ..." and 2, anything else -> 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "sim/cli/commands.h"
#include "sim/common/error.h"

int main(int argc, char** argv) {
  // SystemC prints a banner at elaboration unless this is set; reports must stay clean.
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"nnasim: a cycle-approximate simulator of neural-network accelerators"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "nnasim 0.1");
  bool help_config = false;
  app.add_flag("--help-config", help_config, "describe every key of the hardware YAML");
  nnasim::cli::Registry reg;
  nnasim::cli::register_run_info(app, reg);
  nnasim::cli::register_sweep(app, reg);
  nnasim::cli::register_replay(app, reg);
  nnasim::cli::register_numerics(app, reg);
  nnasim::cli::register_compare(app, reg);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "error: command line: " << e.what() << "\n";
    return 2;
  }
  try {
    if (help_config) {
      std::cout << nnasim::cli::help_config();
      return 0;
    }
    for (const auto& sc : reg)
      if (sc.app->parsed()) return sc.run();
    return reg.front().run();  // no subcommand: `nnasim run` with its defaults
  } catch (const nnasim::InputError& e) {
    std::cerr << e.line() << "\n";
    return 2;
  } catch (const nnasim::InternalError& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}
