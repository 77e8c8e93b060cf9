#include "sim/common/error.h"

#include <fmt/format.h>

namespace nnasim {

std::string SourceLoc::str() const {
  if (file.empty()) return "<input>";
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

InputError::InputError(SourceLoc loc, const std::string& what)
    : std::runtime_error(fmt::format("{}: {}", loc.str(), what)), loc_(std::move(loc)), msg_(what) {}

std::string InputError::line() const { return fmt::format("error: {}: {}", loc_.str(), msg_); }

}  // namespace nnasim
