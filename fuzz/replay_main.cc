// Replay runner: a main() for the fuzz targets when they are built without libFuzzer (g++).
//
// What it is for: ctest runs every target over its committed seed corpus on every build, so
// the invariants are checked in CI without clang (PowerDNS' standalone-runner pattern). Each
// argument is a file or a directory whose regular files are all run, in name order.
// What it must not do: mutate inputs or stop at the first file silently: it names each file
// on stderr before running it, so an abort points at the input that caused it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputsOf(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> out;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& e : std::filesystem::directory_iterator(arg))
      if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(arg);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    for (const auto& p : inputsOf(argv[i])) {
      std::ifstream f(p, std::ios::binary);
      std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                      std::istreambuf_iterator<char>());
      if (!f.eof() && f.fail()) {
        std::fprintf(stderr, "%s: cannot be read\n", p.c_str());
        return 2;
      }
      std::fprintf(stderr, "replay %s (%zu bytes)\n", p.c_str(), bytes.size());
      // Like libFuzzer, hand over an exact-size heap copy so ASan sees reads past the end.
      std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[bytes.size() + (bytes.empty() ? 1 : 0)]);
      std::copy(bytes.begin(), bytes.end(), copy.get());
      LLVMFuzzerTestOneInput(copy.get(), bytes.size());
      ++runs;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "no inputs found: an empty corpus proves nothing\n");
    return 1;
  }
  std::printf("replayed %zu inputs, every invariant held\n", runs);
  return 0;
}
