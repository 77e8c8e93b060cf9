#include "sim/common/text.h"

#include <fmt/format.h>

namespace nnasim {

static size_t utf8_len(const std::string& s, size_t i) {
  // Length of the well-formed sequence starting at i, or 0.
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const size_t n = s.size();
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return k < n && b(k) >= lo && b(k) <= hi; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

bool valid_utf8(const std::string& s, size_t* bad) {
  for (size_t i = 0; i < s.size();) {
    size_t l = utf8_len(s, i);
    if (l == 0) {
      if (bad) *bad = i;
      return false;
    }
    i += l;
  }
  return true;
}

std::string escape_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t l = utf8_len(s, i);
    if (l == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (l == 1 && (c < 0x20 || c == 0x7f)) {
      if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else out += fmt::format("\\x{:02x}", c);
      ++i;
    } else {
      out.append(s, i, l);
      i += l;
    }
  }
  return out;
}

std::string check_name(const std::string& s) {
  if (s.empty()) return "a name must not be empty";
  if (s.size() > kMaxNameBytes) return fmt::format("a name is at most {} bytes, this one has {}", kMaxNameBytes, s.size());
  size_t bad = 0;
  if (!valid_utf8(s, &bad)) return fmt::format("'{}' is not valid UTF-8 (byte {})", escape_text(s), bad);
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return fmt::format("'{}' contains a control character", escape_text(s));
  return "";
}

std::string csv_field(const std::string& s) {
  bool quote = s.find_first_of(",\"\n\r") != std::string::npos ||
               (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace nnasim
