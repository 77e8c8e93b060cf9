#include "sim/common/parse.h"

#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace nnasim {

// Decimal syntax only: an optional sign, digits, and for reals an optional fraction and
// exponent. No whitespace, hex, "inf", "nan" or trailing text.
static bool decimal_syntax(const std::string& t, bool real) {
  size_t i = 0, n = t.size();
  if (i < n && (t[i] == '-' || t[i] == '+')) ++i;
  size_t digits = 0;
  while (i < n && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
  if (!real) return digits > 0 && i == n;
  if (i < n && t[i] == '.') {
    ++i;
    while (i < n && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '-' || t[i] == '+')) ++i;
    size_t ed = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++ed;
    if (ed == 0) return false;
  }
  return i == n;
}

bool parse_integer(const std::string& text, int64_t* out) {
  if (!decimal_syntax(text, false)) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

bool parse_real(const std::string& text, double* out) {
  if (!decimal_syntax(text, true)) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

}  // namespace nnasim
