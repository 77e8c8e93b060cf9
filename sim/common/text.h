// Text checks for user input: UTF-8 validity, control characters, one-line messages.
#pragma once
#include <cstddef>
#include <string>

namespace nnasim {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
// On false, *bad (when given) is the byte offset of the first bad sequence.
bool valid_utf8(const std::string& s, size_t* bad = nullptr);

// `s` made printable on one line: control characters as \n, \t, \r or \xNN, bytes of invalid
// UTF-8 as \xNN; everything else (including valid multi-byte UTF-8) unchanged.
std::string escape_text(const std::string& s);

// One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or an outer
// space, with inner quotes doubled. Every CSV nnasim writes quotes its text fields with this.
std::string csv_field(const std::string& s);

// A user-chosen name (layer, node, model, hardware): non-empty, valid UTF-8, no control
// characters, at most kMaxNameBytes (1024) bytes. Returns an empty string when fine, else what is wrong.
constexpr size_t kMaxNameBytes = 1024;
std::string check_name(const std::string& s);

}  // namespace nnasim
