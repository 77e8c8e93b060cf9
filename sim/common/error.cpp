#include "sim/common/error.h"

#include <fmt/format.h>

#include "sim/common/text.h"

namespace nnasim {

std::string SourceLoc::str() const {
  if (file.empty()) return "<input>";
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

// Messages are one line: control characters and invalid UTF-8 from the user's input are escaped.
static SourceLoc escaped(SourceLoc l) {
  l.file = escape_text(l.file);
  return l;
}

InputError::InputError(SourceLoc loc, const std::string& what)
    : std::runtime_error(fmt::format("{}: {}", escaped(loc).str(), escape_text(what))),
      loc_(escaped(std::move(loc))),
      msg_(escape_text(what)) {}

std::string InputError::line() const { return fmt::format("error: {}: {}", loc_.str(), msg_); }

}  // namespace nnasim
