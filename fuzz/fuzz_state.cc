// Fuzz target: state loading (src/state/state_store.h StateStore::open).
//
// Input: the bytes of a state file (`--state FILE`), written to a scratch directory.
// Invariants: no crash or sanitizer report; open() either refuses with exit code 2 or 4 and a
// message naming the file, or opens; a refused file is left byte-identical, in both modes;
// MustExist never initialises anything; an opened state can be read (snapshot and history give
// data or a storage error, never a crash), and reading it twice gives the same thing.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "state/state_store.h"

using namespace offboard;
using offboard::fuzz::terminalSafe;

namespace {

void openAndCheck(const fuzz::ScratchDir& dir, const std::uint8_t* data, std::size_t size,
                  OpenMode mode) {
  dir.clear();
  const std::string path = dir.path() + "/offboard.db";
  fuzz::writeFile(path, data, size);
  const std::string before(reinterpret_cast<const char*>(data), size);

  std::string err;
  int code = -1;
  auto store = StateStore::open(path, mode, &err, &code);
  if (!store) {
    FUZZ_CHECK(code == 2 || code == 4, "a refusal with exit code " + std::to_string(code));
    FUZZ_CHECK(err.find(path) != std::string::npos, "a refusal that does not name the file: " + err);
    FUZZ_CHECK(fuzz::readFile(path) == before, "a refused state file was modified: " + err);
    return;
  }
  FUZZ_CHECK(code == 0 && err.empty(), "an opened state with an error set");
  if (mode == OpenMode::MustExist) FUZZ_CHECK(size > 0, "MustExist opened an empty file");
  std::string e1, e2, e3;
  StateSnapshot a = store->snapshot(&e1);
  StateSnapshot b = store->snapshot(&e2);
  store->history(&e3);
  FUZZ_CHECK(e1 == e2, "two reads of one state disagree about errors");
  FUZZ_CHECK(a.acks.size() == b.acks.size() && a.waivers.size() == b.waivers.size() &&
                 a.observations.size() == b.observations.size(),
             "two reads of one state disagree");
  if (!e1.empty()) FUZZ_CHECK(a.acks.empty() && a.observations.empty(), "partial data on error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchDir dir("state");
  openAndCheck(dir, data, size, OpenMode::MustExist);
  openAndCheck(dir, data, size, OpenMode::CreateIfMissing);
  return 0;
}
