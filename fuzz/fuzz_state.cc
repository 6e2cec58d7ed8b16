// Fuzz target: state loading (src/state/state_store.h StateStore::open).
//
// Input: the bytes of a state file (`--state FILE`), written to a scratch directory.
// Invariants: no crash or sanitizer report; open() either refuses with a status of its own
// (NotFound, AccessDenied, NotAState, Corrupt, IoError, Busy: exit 2 or 4) and a message naming
// the file, or opens; a refused file is left byte-identical, in both modes; MustExist never
// initialises anything; an opened state can be read (snapshot and history give data or a
// storage error, never a crash), and reading it twice gives the same thing.
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

  auto opened = StateStore::open(path, mode);
  if (!opened) {
    const Status& refused = opened.status();
    const std::string& err = refused.message();
    using Code = Status::Code;
    const Code c = refused.code();
    FUZZ_CHECK(c == Code::NotFound || c == Code::AccessDenied || c == Code::NotAState || c == Code::Corrupt ||
                   c == Code::IoError || c == Code::Busy,
               "a refusal with status " + std::string(statusCodeName(c)) + ": " + err);
    FUZZ_CHECK(err.find(path) != std::string::npos, "a refusal that does not name the file: " + err);
    FUZZ_CHECK(fuzz::readFile(path) == before, "a refused state file was modified: " + err);
    return;
  }
  auto& store = *opened;
  if (mode == OpenMode::MustExist) FUZZ_CHECK(size > 0, "MustExist opened an empty file");
  auto a = store->snapshot();
  auto b = store->snapshot();
  auto h = store->history();
  FUZZ_CHECK(a.isOk() == b.isOk() && a.status().message() == b.status().message(),
             "two reads of one state disagree about errors");
  if (a.isOk() && b.isOk())
    FUZZ_CHECK(a->acks.size() == b->acks.size() && a->waivers.size() == b->waivers.size() &&
                   a->observations.size() == b->observations.size(),
               "two reads of one state disagree");
  FUZZ_CHECK(h.isOk() || !h.status().message().empty(), "a failed history without a message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchDir dir("state");
  openAndCheck(dir, data, size, OpenMode::MustExist);
  openAndCheck(dir, data, size, OpenMode::CreateIfMissing);
  return 0;
}
