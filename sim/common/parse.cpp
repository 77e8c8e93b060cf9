#include "sim/common/parse.h"

#include <cmath>

namespace nnasim {

bool parse_integer(const std::string& text, int64_t* out) {
  size_t used = 0;
  try {
    *out = std::stoll(text, &used);
  } catch (...) {
    return false;
  }
  return used != 0 && used == text.size();
}

bool parse_real(const std::string& text, double* out) {
  size_t used = 0;
  try {
    *out = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  return used != 0 && used == text.size() && std::isfinite(*out);
}

}  // namespace nnasim
