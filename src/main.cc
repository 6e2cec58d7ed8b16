// offboard: take a company off Microsoft 365 without losing mail.
// main reads as a recipe: clean the environment, register the subcommands, parse, run the one
// chosen, and make sure a failure can never exit 0.
#include <CLI/CLI.hpp>

#include <fcntl.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <unistd.h>

#include "commands/commands.h"
#include "commands/plan_commands.h"
#include "resolvers/wire.h"
#include "state/state_store.h"

#ifdef OFFBOARD_MIMALLOC
#include <mimalloc.h>
#endif

int main(int argc, char** argv) {
  using namespace offboard;
  // Resolver-steering variables change nothing here (c-ares never reads them; be sure).
  for (const char* v : {"HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS"}) unsetenv(v);
  // A file-size limit must become a storage error (exit 4) from write(), not a kill.
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

  CLI::App app{"offboard: take a company off Microsoft 365 without losing mail.\n"
               "Checks what DNS still points at Microsoft 365, writes the ordered runbook, and\n"
               "gates cancellation until it is really done.",
               "offboard"};
  std::string version = std::string("offboard ") + OFFBOARD_VERSION + " (" + dnsLibraryVersions() +
                        ", " + StateStore::libraryVersion();
#ifdef OFFBOARD_MIMALLOC
  version += ", mimalloc " + std::to_string(mi_version() / 100) + "." +
             std::to_string(mi_version() / 10 % 10) + "." + std::to_string(mi_version() % 10);
#endif
  app.set_version_flag("--version", version + ")");
  app.require_subcommand(1);
  std::vector<Runner> runners = {setupCheck(app), setupScan(app), setupPlan(app), setupGate(app),
                                 setupAck(app),   setupWaive(app), setupRevoke(app), setupStatus(app), setupHistory(app), setupCatalogue(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // prints help, version or the error
    std::cout.flush();
    if (rc == 0 && (!std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout))) {
      std::cerr << "offboard: cannot write the output\n";
      return kExitInternal;  // help or version lost (a full disk, a closed pipe)
    }
    return rc == 0 ? kExitOk : kExitUsage;
  }

  Io io{std::cout, std::cerr, isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1};
  int rc = kExitInternal;
  try {
    for (auto& run : runners) {
      int r = run(io);  // a runner whose subcommand was not chosen returns -1
      if (r >= 0) {
        rc = r;
        break;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "offboard: internal error: " << e.what() << "\n";
    return kExitInternal;
  } catch (...) {
    std::cerr << "offboard: internal error\n";
    return kExitInternal;
  }
  // A closed or failing stdout must never look like success.
  std::cout.flush();
  if (!std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::cerr << "offboard: cannot write the output\n";
    return kExitInternal;
  }
  return rc;
}
