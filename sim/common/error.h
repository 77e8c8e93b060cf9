// Typed errors. Library code throws; only main() turns an error into an exit status:
// InputError -> "error: FILE:LINE: message", exit 2; InternalError -> exit 1.
#pragma once
#include <stdexcept>
#include <string>

namespace nnasim {

// Where in a user's file something was found. line == 0 means "the file as a whole".
struct SourceLoc {
  std::string file;
  int line = 0;
  std::string str() const;  // "FILE:LINE" or "FILE"
};

// A mistake in the user's input: a file, a value, a shape, an option.
class InputError : public std::runtime_error {
 public:
  InputError(SourceLoc loc, const std::string& what);
  const SourceLoc& loc() const { return loc_; }
  const std::string& message() const { return msg_; }
  // The one line the CLI prints: "error: FILE:LINE: message".
  std::string line() const;

 private:
  SourceLoc loc_;
  std::string msg_;
};

// A bug in nnasim (e.g. a Program that overfills OCM): never the user's fault.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

}  // namespace nnasim
