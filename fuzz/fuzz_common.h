// Shared by the libFuzzer harnesses: the input goes to a file (the loaders read paths, as the CLI
// does), the loader runs, and an InputError is the expected answer to bad input. Anything else
// escaping (InternalError, std::exception, a yaml-cpp or JSON exception) is a finding: abort.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <streambuf>
#include <string>

#include <yaml-cpp/yaml.h>

#include "sim/common/error.h"

namespace nnasim::fuzz {

// A per-process scratch file with the given extension (the loaders dispatch on it).
inline std::string scratch(const char* ext) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/nnasim_fuzz_" + std::to_string(::getpid()) + ext;
}

inline std::string write_scratch(const uint8_t* data, size_t size, const char* ext) {
  static const std::string path = [&] {
    static std::string p;  // removed at exit: one file per fuzzer process, not left in TMPDIR
    p = scratch(ext);
    std::atexit([] { std::remove(p.c_str()); });
    return p;
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// A per-process scratch directory, removed at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string d = scratch("_dir");
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch("_dir"), ec);
    });
    return d;
  }();
  return dir;
}

// Writes the tree of a shipped YAML file without its comments (YAML::Dump): the shipped files are
// two-thirds comments, which a harness that loads them for every input would scan every time.
// Done once, in LLVMFuzzerInitialize, for the files a harness reads besides its input.
inline void write_compact_yaml(const std::string& from, const std::string& to) {
  std::filesystem::create_directories(std::filesystem::path(to).parent_path());
  std::ofstream out(to);
  out << YAML::Dump(YAML::LoadFile(from)) << "\n";
  if (!out) std::abort();
}

// Discards what is written to it: the loaders' warnings (an ONNX model with unknown operators)
// are formatted as for the CLI but not written, one line per input, into the fuzzer's log.
// Sanitizer and libFuzzer reports write to file descriptor 2 directly and are not affected.
struct NullBuf : std::streambuf {
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

template <typename Fn>
int run(Fn fn) {
  static NullBuf null;
  struct Mute {
    std::streambuf* saved = std::cerr.rdbuf(&null);
    ~Mute() { std::cerr.rdbuf(saved); }
  } mute;
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
