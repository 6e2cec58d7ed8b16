// offboard: take a company off Microsoft 365 without losing mail.
// main reads as a recipe: prepare the process, register the subcommands, parse, run the one
// chosen, and make sure a failure can never exit 0.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "commands/commands.h"
#include "commands/plan_commands.h"
#include "commands/process.h"
#include "core/i18n.h"

#ifdef OFFBOARD_MIMALLOC
#include <mimalloc.h>
#endif

int main(int argc, char** argv) {
  using namespace offboard;
  if (int rc = prepareProcess(); rc != kExitOk) return rc;
  chooseLanguage(argc, argv);

  CLI::App app{tr("offboard: take a company off Microsoft 365 without losing mail.\n"
                  "Checks what DNS still points at Microsoft 365, writes the ordered runbook, and\n"
                  "gates cancellation until it is really done."),
               "offboard"};
  std::string allocator;
#ifdef OFFBOARD_MIMALLOC  // only the offboard binary links it (CMakeLists.txt)
  allocator = ", mimalloc " + std::to_string(mi_version() / 100) + "." +
              std::to_string(mi_version() / 10 % 10) + "." + std::to_string(mi_version() % 10);
#endif
  // CLI11's own words in the help, where it lets them be set.
  app.option_defaults()->group(tr("Options"));
  app.set_version_flag("--version", versionLine(allocator), tr("Display program version information and exit"));
  app.set_help_flag("-h,--help", tr("Print this help message and exit"));
  for (const char* label : {N_("Usage"), N_("OPTIONS"), N_("Positionals"), N_("REQUIRED")})
    app.get_formatter()->label(label, tr(label));
  app.require_subcommand(1);
  app.fallthrough();  // --lang after the subcommand too
  std::string langOption;  // chosen before parsing (chooseLanguage); declared for --help and checking
  app.add_option("--lang", langOption,
                 tr("Language of the output a person reads: en or nl (default: from LC_ALL, LC_MESSAGES, LANG; "
                    "English when none names one)"))
      ->check(CLI::IsMember({"en", "nl"}))
      ->type_name("LANG");
  const std::vector<Runner> runners = {setupCheck(app),  setupScan(app),   setupPlan(app),   setupGate(app),
                                       setupAck(app),    setupWaive(app),  setupRevoke(app), setupStatus(app),
                                       setupHistory(app), setupCatalogue(app)};
  if (int rc = preParse(app, argc, argv, std::cout, std::cerr); rc >= 0) return finishOutput(rc);
  for (CLI::App* sub : app.get_subcommands({}))
    if (CLI::Option* help = sub->get_help_ptr()) help->group(tr("Options"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help, version or the error
    if (rc != 0)
      if (std::string hint = suggestFlag(app, argc, argv); !hint.empty()) std::cerr << hint << "\n";
    return rc == 0 ? finishOutput(kExitOk) : kExitUsage;  // help or version lost is exit 4
  }
  Io io{std::cout, std::cerr, isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1};
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) io.outFileFd = STDOUT_FILENO;
  return finishOutput(runChosen(runners, io));
}
