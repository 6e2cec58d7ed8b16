// Shared helpers for offboard's fuzz targets (fuzz/fuzz_*.cc).
//
// What it is for: the invariant check that turns a broken property into a crash the fuzzer (or
// the corpus replay under ctest) reports, a private scratch directory for targets that must
// go through files (zone directories, state files), and small text predicates.
// What it must not do: hide a failure (every broken invariant aborts), touch anything outside
// its scratch directory, or keep state between inputs beyond that directory's path.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace offboard::fuzz {

// Aborts with the invariant and where it broke: libFuzzer saves the input as a crash, and the
// replay runner names the corpus file it was running.
[[noreturn]] inline void invariantBroken(const char* what, const char* file, int line,
                                         const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s%s%s\n", file, line, what,
               detail.empty() ? "" : " — ", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                                                         \
  do {                                                                                   \
    if (!(cond)) ::offboard::fuzz::invariantBroken(#cond, __FILE__, __LINE__, (detail)); \
  } while (0)

// True when `s` holds no octet a terminal could act on (C0 controls, DEL). What offboard prints
// from untrusted input must pass this (terminal safety).
inline bool terminalSafe(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

// A directory of our own for the life of the process, removed at exit. Under /dev/shm when it
// exists (fuzzing writes a file per input), else under $TMPDIR or /tmp.
class ScratchDir {
 public:
  explicit ScratchDir(const char* tag) {
    std::string base = "/tmp";
    if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec)) base = "/dev/shm";
    std::string templ = base + "/offboard-fuzz-" + tag + ".XXXXXX";
    if (!mkdtemp(templ.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

  // Removes everything inside the directory (not the directory itself).
  void clear() const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path_, ec))
      std::filesystem::remove_all(e.path(), ec);
  }

 private:
  std::string path_;
};

inline void writeFile(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  f.close();
  if (!f) invariantBroken("scratch file written", __FILE__, __LINE__, path);
}

inline std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace offboard::fuzz
