// The message catalogues (core/i18n.h): the language the variables choose, the .mo reader on
// good and damaged files, plural forms, placeholders, and the English scope of machine formats.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/i18n.h"

using namespace offboard;

namespace {

std::map<std::string, std::string> g_env;
const char* fakeEnv(const char* name) {
  auto it = g_env.find(name);
  return it == g_env.end() ? nullptr : it->second.c_str();
}
Lang langOf(std::map<std::string, std::string> env) {
  g_env = std::move(env);
  return languageFromEnvironment(fakeEnv);
}

// A directory holding nl/LC_MESSAGES/offboard.mo with these bytes; OFFBOARD_LOCALEDIR names it.
struct LocaleDir {
  std::filesystem::path dir;
  explicit LocaleDir(const std::string& bytes) {
    dir = std::filesystem::temp_directory_path() / ("offboard-i18n-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "nl/LC_MESSAGES");
    std::ofstream(dir / "nl/LC_MESSAGES/offboard.mo", std::ios::binary) << bytes;
    ::setenv("OFFBOARD_LOCALEDIR", dir.c_str(), 1);
  }
  ~LocaleDir() {
    ::unsetenv("OFFBOARD_LOCALEDIR");
    std::filesystem::remove_all(dir);
  }
};

}  // namespace

TEST_CASE("the language comes from the variables, never from a generated locale") {
  CHECK(langOf({}) == Lang::En);
  CHECK(langOf({{"LANG", "nl_NL.UTF-8"}}) == Lang::Nl);
  CHECK(langOf({{"LANG", "nl_BE"}}) == Lang::Nl);
  CHECK(langOf({{"LANG", "en_US.UTF-8"}, {"LC_MESSAGES", "nl_NL"}}) == Lang::Nl);
  CHECK(langOf({{"LANG", "nl_NL"}, {"LC_ALL", "en_GB.UTF-8"}}) == Lang::En);  // LC_ALL first
  CHECK(langOf({{"LANG", "fr_FR.UTF-8"}}) == Lang::En);                       // not one we have
  CHECK(langOf({{"LANG", "en_US.UTF-8"}, {"LANGUAGE", "fr:nl:en"}}) == Lang::Nl);
  // gettext ignores LANGUAGE under the C locale; so does offboard.
  CHECK(langOf({{"LANG", "C.UTF-8"}, {"LANGUAGE", "nl"}}) == Lang::En);
  CHECK(langOf({{"LC_ALL", "C"}, {"LANGUAGE", "nl"}}) == Lang::En);
  CHECK(langFromName("nl") == Lang::Nl);
  CHECK(langFromName("nl-NL") == Lang::Nl);
  CHECK(langFromName("de") == std::nullopt);
  CHECK(langFromName("") == std::nullopt);
}

TEST_CASE("the Dutch catalogue of the build loads; every entry is translated and plural forms work") {
  std::string error;
  REQUIRE_MESSAGE(setLanguage(Lang::Nl, &error), error);
  CHECK(language() == Lang::Nl);
  CHECK(catalogueSize() > 150);
  for (std::size_t i = 0; i < catalogueSize(); ++i) {
    auto e = catalogueEntry(i);
    REQUIRE(e);
    INFO(std::string(e->id));
    CHECK(!e->translation.empty());
    if (!e->plural.empty()) CHECK(e->translation.find('\0') != std::string_view::npos);
  }
  CHECK(std::string(tr("not acknowledged yet")) == "nog niet bevestigd");
  CHECK(trnf("{n} step still open", "{n} steps still open", 1, fmt::arg("n", 1)) == "1 stap nog open");
  CHECK(trnf("{n} step still open", "{n} steps still open", 3, fmt::arg("n", 3)) == "3 stappen nog open");
  // A message the catalogue lacks stays English, with its placeholders filled.
  CHECK(trf("no such message {x}", fmt::arg("x", "here")) == "no such message here");
  {
    LanguageScope english(Lang::En);  // JSON, SARIF, JUnit
    CHECK(std::string(tr("not acknowledged yet")) == "not acknowledged yet");
  }
  CHECK(std::string(tr("not acknowledged yet")) == "nog niet bevestigd");
  REQUIRE(setLanguage(Lang::En));
  CHECK(std::string(tr("not acknowledged yet")) == "not acknowledged yet");
}

TEST_CASE("a translation with a broken placeholder falls back to the English facts") {
  CHECK(formatMessage("waiting for {step}", "wacht op {stap}", fmt::make_format_args(fmt::arg("step", "x"))) ==
        "waiting for x");
  CHECK(formatMessage("plain", "{", fmt::make_format_args()) == "plain");
}

TEST_CASE("a damaged .mo file is an error naming it, never a read past its end") {
  // A valid header claiming 1000 strings in a 28-byte file.
  std::string header("\xde\x12\x04\x95", 4);
  auto word = [](std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  std::string bogus = header + word(0) + word(1000) + word(28) + word(28) + word(0) + word(0);
  for (const std::string& bytes : {std::string("not a catalogue"), std::string(), bogus}) {
    LocaleDir d(bytes);
    std::string error;
    CHECK_FALSE(setLanguage(Lang::Nl, &error));
    CHECK(error.find("offboard.mo") != std::string::npos);
    CHECK(language() == Lang::En);
    CHECK(std::string(tr("not acknowledged yet")) == "not acknowledged yet");
  }
  // A string whose offset points past the end.
  std::string past = header + word(0) + word(1) + word(28) + word(36) + word(0) + word(0) + word(5) + word(9999) +
                     word(5) + word(9999);
  LocaleDir d(past);
  std::string error;
  CHECK_FALSE(setLanguage(Lang::Nl, &error));
  CHECK(error.find("past the end") != std::string::npos);
}
