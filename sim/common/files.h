// Checked file input and output for everything a user names on the command line or in a spec.
//
// Reading: a directory, a missing or unreadable file, an empty file or (for text) invalid UTF-8
// is one InputError each. Writing: every write is checked (a full disk is an error, never a
// silent exit 0); a named output is written through a temporary file in the target's directory
// and renamed over it, and only when the target is a regular file or absent, so that a FIFO, a
// device node, a symlink or a directory is never replaced.
#pragma once
#include <string>

#include "sim/common/error.h"

namespace nnasim {

// Whether `path` names something / a regular file (symlinks followed). Never throws: a path the
// system cannot look up (a component over NAME_MAX, a loop of links) is simply absent, and the
// caller's "no such file" message follows.
bool path_exists(const std::string& path);
bool is_regular_file(const std::string& path);
// Whether two paths name one file (the same device and inode; the same text when either is missing).
bool same_file(const std::string& a, const std::string& b);

// The whole file as bytes. `what` names the expected content in messages ("a YAML hardware
// description"). Throws InputError({path, 0}, ...) for a directory, a missing, unreadable or
// empty file.
std::string read_file(const std::string& path, const std::string& what);

// As read_file, and the content must be valid UTF-8; the error names the line of the first bad
// byte.
std::string read_text_file(const std::string& path, const std::string& what);

// Writes `content` to `path` (atomically, see above), or to stdout when path is "" or "-".
// Throws InputError naming the path (or "<stdout>") on any failure.
void write_output(const std::string& path, const std::string& content);

// Checked write of `content` to stdout (including the flush).
void write_stdout(const std::string& content);

// A refusal or failure to write `path`: InputError({path,0}, ...). Exposed for writers that
// stream (they call check_output_target first, then write and check).
void check_output_target(const std::string& path);

}  // namespace nnasim
