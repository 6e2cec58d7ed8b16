// offboard: take a company off Microsoft 365 without losing mail.
// main reads as a recipe: prepare the process, register the subcommands, parse, run the one
// chosen, and make sure a failure can never exit 0.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>
#include <string>

#include "commands/commands.h"
#include "commands/plan_commands.h"
#include "commands/process.h"

#ifdef OFFBOARD_MIMALLOC
#include <mimalloc.h>
#endif

int main(int argc, char** argv) {
  using namespace offboard;
  if (int rc = prepareProcess(); rc != kExitOk) return rc;

  CLI::App app{"offboard: take a company off Microsoft 365 without losing mail.\n"
               "Checks what DNS still points at Microsoft 365, writes the ordered runbook, and\n"
               "gates cancellation until it is really done.",
               "offboard"};
  std::string allocator;
#ifdef OFFBOARD_MIMALLOC  // only the offboard binary links it (CMakeLists.txt)
  allocator = ", mimalloc " + std::to_string(mi_version() / 100) + "." +
              std::to_string(mi_version() / 10 % 10) + "." + std::to_string(mi_version() % 10);
#endif
  app.set_version_flag("--version", versionLine(allocator));
  app.require_subcommand(1);
  const std::vector<Runner> runners = {setupCheck(app),  setupScan(app),   setupPlan(app),   setupGate(app),
                                       setupAck(app),    setupWaive(app),  setupRevoke(app), setupStatus(app),
                                       setupHistory(app), setupCatalogue(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help, version or the error
    return rc == 0 ? finishOutput(kExitOk) : kExitUsage;  // help or version lost is exit 4
  }
  Io io{std::cout, std::cerr, isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1};
  return finishOutput(runChosen(runners, io));
}
