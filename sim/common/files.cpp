#include "sim/common/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "sim/common/text.h"

namespace nnasim {
namespace {

std::string err() { return std::strerror(errno); }

std::string dir_of(const std::string& path) {
  auto p = std::filesystem::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool path_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat x {}, y {};
  if (::stat(a.c_str(), &x) != 0 || ::stat(b.c_str(), &y) != 0) return a == b;
  return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

std::string read_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError({path, 0}, fmt::format("cannot open file ({}): expected {}", err(), what));
  if (S_ISDIR(st.st_mode)) throw InputError({path, 0}, fmt::format("is a directory: expected {}", what));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError({path, 0}, fmt::format("cannot open file ({}): expected {}", err(), what));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string e = err();
      ::close(fd);
      throw InputError({path, 0}, fmt::format("cannot read file ({}): expected {}", e, what));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (out.empty()) throw InputError({path, 0}, fmt::format("file is empty: expected {}", what));
  return out;
}

std::string read_text_file(const std::string& path, const std::string& what) {
  std::string s = read_file(path, what);
  size_t bad = 0;
  if (!valid_utf8(s, &bad)) {
    int line = 1 + static_cast<int>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    throw InputError({path, line}, fmt::format("invalid UTF-8 (byte {}): expected {} in UTF-8 text", bad, what));
  }
  return s;
}

// Where the output really goes: a symlink is followed (and kept); returns the final path and
// its stat (st_mode 0 when it does not exist yet).
static std::string resolve_target(const std::string& path, struct stat* st) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    if (::lstat(p.c_str(), st) != 0) {
      if (errno == ENOENT) {
        st->st_mode = 0;
        return p;
      }
      throw InputError({path, 0}, fmt::format("cannot write the output file ({})", err()));
    }
    if (!S_ISLNK(st->st_mode)) return p;
    std::vector<char> buf(4096);
    ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size() - 1);
    if (n < 0) throw InputError({path, 0}, fmt::format("cannot read the symbolic link ({})", err()));
    std::string t(buf.data(), static_cast<size_t>(n));
    p = (!t.empty() && t[0] == '/') ? t : dir_of(p) + "/" + t;
  }
  throw InputError({path, 0}, "too many levels of symbolic links");
}

void check_output_target(const std::string& path) {
  struct stat st {};
  resolve_target(path, &st);
  if (st.st_mode == 0 || S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return;
  throw InputError({path, 0}, fmt::format("will not write over {}: expected a regular file, a new path, a FIFO or a terminal",
                                          S_ISDIR(st.st_mode) ? "a directory" : "a special file"));
}

void write_stdout(const std::string& content) {
  if (std::fflush(stdout) != 0 || !write_all(STDOUT_FILENO, content))
    throw InputError({"<stdout>", 0}, fmt::format("cannot write the output ({})", err()));
}

void write_output(const std::string& path, const std::string& content) {
  if (path.empty() || path == "-") return write_stdout(content);
  check_output_target(path);
  struct stat st {};
  const std::string target = resolve_target(path, &st);
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    // A pipe, a terminal or a device: written in place, never replaced.
    int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw InputError({path, 0}, fmt::format("cannot open the output ({})", err()));
    bool ok = write_all(fd, content);
    std::string e = ok ? "" : err();
    if (::close(fd) != 0 && ok) ok = false, e = err();
    if (!ok) throw InputError({path, 0}, fmt::format("cannot write the output ({})", e));
    return;
  }
  // A regular file or a new path: a temporary file in the same directory, renamed over it, so
  // that a failed write leaves the old content (a symlink stays a symlink: its target is replaced).
  std::string tmpl = dir_of(target) + "/." + std::filesystem::path(target).filename().string() + ".XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) throw InputError({path, 0}, fmt::format("cannot create a temporary file next to the output ({})", err()));
  std::string tmp(name.data());
  bool ok = write_all(fd, content);
  std::string e = ok ? "" : err();
  // mkstemp creates 0600: keep an existing file's mode, else the usual 0666 less the umask.
  mode_t um = ::umask(0);
  ::umask(um);
  ::fchmod(fd, st.st_mode ? (st.st_mode & 07777) : (0666 & ~um));
  if (::close(fd) != 0 && ok) ok = false, e = err();
  if (ok && ::rename(tmp.c_str(), target.c_str()) != 0) ok = false, e = err();
  if (!ok) {
    ::unlink(tmp.c_str());
    throw InputError({path, 0}, fmt::format("cannot write the output file ({})", e));
  }
}

}  // namespace nnasim
