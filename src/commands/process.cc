#include "commands/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "resolvers/wire.h"
#include "state/state_store.h"

namespace offboard {

int prepareProcess() {
  // Resolver-steering variables change nothing here (c-ares never reads them; be sure).
  for (const char* v : {"HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS"}) unsetenv(v);
  std::signal(SIGXFSZ, SIG_IGN);
  // A closed standard descriptor would be taken by the next open(): with `>&-`, c-ares' UDP
  // socket became fd 1 and scan's JSON lines were sent to the DNS server. Fill each gap with
  // /dev/null (open() takes the lowest free number); a closed stdout is an error at once, as
  // everything printed would be lost.
  bool stdoutClosed = false;
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    stdoutClosed = stdoutClosed || fd == STDOUT_FILENO;
    if (open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) != fd) return kExitInternal;
  }
  if (stdoutClosed) {
    std::cerr << "offboard: standard output is closed; nothing done\n";
    return kExitInternal;
  }
  return kExitOk;
}

std::string versionLine(const std::string& extra) {
  return std::string("offboard ") + OFFBOARD_VERSION + " (" + dnsLibraryVersions() + ", " +
         StateStore::libraryVersion() + extra + ")";
}

int runChosen(const std::vector<Runner>& runners, Io& io) {
  try {
    for (const auto& run : runners)
      if (int r = run(io); r >= 0) return r;
  } catch (const std::exception& e) {
    std::cerr << "offboard: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "offboard: internal error\n";
  }
  return kExitInternal;
}

int finishOutput(int rc) {
  std::cout.flush();
  if (!std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::cerr << "offboard: cannot write the output\n";
    return kExitInternal;
  }
  return rc;
}

}  // namespace offboard
