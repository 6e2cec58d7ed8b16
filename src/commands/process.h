// The process around the subcommands: what main does before parsing and after running.
//
// What it is for: the few things every run needs whatever the subcommand, kept out of main so
// that main reads as a recipe: an environment that cannot steer the resolver, standard
// descriptors that cannot be taken by a socket, a version line naming the libraries, and a
// failing standard output that can never exit 0.
// What it must not do: parse options or run a subcommand.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <ostream>

#include "commands/commands.h"

namespace offboard {

// Unsets the resolver-steering variables, ignores SIGXFSZ (a file-size limit becomes a storage
// error from write(), exit 4, not a kill) and fills closed standard descriptors with /dev/null.
// kExitOk, or kExitInternal (after saying why) when standard output is closed.
int prepareProcess();

// The language for this run (SPEC §1): `--lang X` / `--lang=X` in argv, else the locale
// variables; loads its catalogue. A bad --lang value is left for the parser to reject; a missing
// catalogue is said on stderr once, and the run goes on in English.
void chooseLanguage(int argc, char** argv);

// Before parsing: bare `offboard` prints the help (exit 2); a first word that is no subcommand
// is exit 2 naming the nearest ones. -1 when argv is for the parser.
int preParse(const CLI::App& app, int argc, char** argv, std::ostream& out, std::ostream& err);

// After a parse error: an unknown flag is named with the nearest flags of its subcommand.
// Empty when there is nothing to suggest.
std::string suggestFlag(const CLI::App& app, int argc, char** argv);

// "offboard 1.2.3 (c-ares …, ldns …, SQLite …" + `extra` + ")".
std::string versionLine(const std::string& extra);

// Runs the one runner whose subcommand was chosen (the others return -1); an exception is an
// internal error (exit 4, said on stderr).
int runChosen(const std::vector<Runner>& runners, Io& io);

// `rc`, unless standard output could not be written (a full disk, a closed pipe): then 4.
int finishOutput(int rc);

}  // namespace offboard
