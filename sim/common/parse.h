// Whole-string number parsing for user input (YAML scalars, CSV cells): the text must be exactly
// one number, nothing before or after it. Callers turn a false into an error with a location.
#pragma once
#include <cstdint>
#include <string>

namespace nnasim {

bool parse_integer(const std::string& text, int64_t* out);
bool parse_real(const std::string& text, double* out);  // finite values only

}  // namespace nnasim
