#include "commands/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <iostream>

#include "core/i18n.h"
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

void chooseLanguage(int argc, char** argv) {
  Lang lang = languageFromEnvironment();
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::optional<std::string_view> v;
    if (a == "--lang" && i + 1 < argc) v = argv[i + 1];
    else if (a.substr(0, 7) == "--lang=") v = a.substr(7);
    if (v) {
      if (auto l = langFromName(*v)) lang = *l;
      break;
    }
    if (a == "--") break;
  }
  std::string error;
  if (!setLanguage(lang, &error))
    std::cerr << "offboard: " << error << "; " << "continuing in English" << "\n";
}

namespace {

// The candidates nearest to `word`: within a third of its length (at least 2 edits), or
// starting with it; the closest first.
std::vector<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& c : candidates) {
    std::size_t d = editDistance(word, c);
    if (d <= std::max<std::size_t>(2, word.size() / 3) || (word.size() >= 2 && c.rfind(word, 0) == 0))
      scored.emplace_back(d, c);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [d, c] : scored)
    if (out.size() < 3) out.push_back(c);
  return out;
}

std::string orList(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? (i + 1 == v.size() ? tr(" or ") : ", ") : "") + ("'" + v[i] + "'");
  return out;
}

}  // namespace

int preParse(const CLI::App& app, int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  // The first word that is not an option (or an option's value) names the subcommand.
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--lang" || a == "--color") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') return -1;  // --help, --version, or the parser's to judge
    if (std::find(names.begin(), names.end(), a) != names.end()) return -1;
    auto near = nearest(a, names);
    err << "offboard: " << trf("'{word}' is not an offboard command", fmt::arg("word", std::string(a)));
    if (!near.empty()) err << "; " << trf("did you mean {candidates}?", fmt::arg("candidates", orList(near)));
    err << "\n" << tr("Run 'offboard --help' for the commands.") << "\n";
    return kExitUsage;
  }
  out << app.help();  // no subcommand named: bare `offboard` (maybe with --lang or --color)
  return kExitUsage;
}

std::string suggestFlag(const CLI::App& app, int argc, char** argv) {
  const CLI::App* sub = nullptr;
  for (int i = 1; i < argc && !sub; ++i)
    for (const CLI::App* s : app.get_subcommands({}))
      if (s->get_name() == argv[i]) sub = s;
  std::vector<std::string> flags;
  for (const CLI::App* a : {&app, sub})
    if (a)
      for (const CLI::Option* o : a->get_options())
        for (const auto& n : o->get_lnames()) flags.push_back("--" + n);
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.size() < 3 || a.substr(0, 2) != "--") continue;
    std::string_view name = a.substr(0, a.find('='));
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
    auto near = nearest(name, flags);
    if (near.empty()) return "";
    return trf("unknown option {flag}; did you mean {candidates}?", fmt::arg("flag", std::string(name)),
               fmt::arg("candidates", orList(near)));
  }
  return "";
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
