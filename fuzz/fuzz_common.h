// Shared by the libFuzzer harnesses: the input goes to a file (the loaders read paths, as the CLI
// does), the loader runs, and an InputError is the expected answer to bad input. Anything else
// escaping (InternalError, std::exception, a yaml-cpp or JSON exception) is a finding: abort.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "sim/common/error.h"

namespace nnasim::fuzz {

// A per-process scratch file with the given extension (the loaders dispatch on it).
inline std::string scratch(const char* ext) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/nnasim_fuzz_" + std::to_string(::getpid()) + ext;
}

inline std::string write_scratch(const uint8_t* data, size_t size, const char* ext) {
  std::string path = scratch(ext);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

template <typename Fn>
int run(Fn fn) {
  try {
    fn();
  } catch (const InputError& e) {
    const std::string l = e.line();
    if (l.find('\n') != std::string::npos) {  // an error is one line
      std::fprintf(stderr, "multi-line error: %s\n", l.c_str());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "leaked exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace nnasim::fuzz
