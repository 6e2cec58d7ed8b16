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

#include "commands/commands.h"

namespace offboard {

// Unsets the resolver-steering variables, ignores SIGXFSZ (a file-size limit becomes a storage
// error from write(), exit 4, not a kill) and fills closed standard descriptors with /dev/null.
// kExitOk, or kExitInternal (after saying why) when standard output is closed.
int prepareProcess();

// "offboard 1.2.3 (c-ares …, ldns …, SQLite …" + `extra` + ")".
std::string versionLine(const std::string& extra);

// Runs the one runner whose subcommand was chosen (the others return -1); an exception is an
// internal error (exit 4, said on stderr).
int runChosen(const std::vector<Runner>& runners, Io& io);

// `rc`, unless standard output could not be written (a full disk, a closed pipe): then 4.
int finishOutput(int rc);

}  // namespace offboard
