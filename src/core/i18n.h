// The language a person reads: message catalogues (GNU gettext .po files, compiled by msgfmt
// into .mo files) and the calls that look a sentence up in them.
//
// What it is for: every sentence offboard prints for a person is written in English in the
// source, inside one of the marking calls below, and looked up in the catalogue of the chosen
// language (po/<lang>.po; English needs none: the source is its catalogue). xgettext finds the
// calls by their names (po/README.md), so a translator edits a .po file and never reads C++.
//
// Why our own .mo reader rather than libintl's gettext(): glibc translates only when setlocale()
// succeeds for the language, and minimal machines and containers have no nl_NL locale generated
// (only C and C.UTF-8). The language here comes from --lang or the locale variables themselves,
// and the .mo format (a header and two tables of strings) is read directly.
//
// Placeholders are fmt's named fields, `{domain}`, so a translation may put them in any order.
// A translation whose placeholders do not match fails the catalogue test, and at run time falls
// back to the English (a person still gets the facts).
//
// What it must not do: change an identifier, a JSON key, SARIF/JUnit structure or an exit code.
// Those are never inside a marking call.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace offboard {

enum class Lang { En, Nl };

// "en", "nl".
std::string_view langName(Lang l);
// `--lang` values: "en", "nl" (also "en_GB", "nl_NL.UTF-8", "nl-BE"…). nullopt: not one we have.
std::optional<Lang> langFromName(std::string_view s);

// The language the process variables ask for: the first set of LC_ALL, LC_MESSAGES, LANG
// (POSIX order); when that is not C/POSIX, LANGUAGE's list (gettext's order) is asked first.
// English when none names a language offboard has. `getenv` is injectable for tests.
Lang languageFromEnvironment(const char* (*getenv_)(const char*) = nullptr);

// Chooses the language for the rest of the process and loads its catalogue: from
// $OFFBOARD_LOCALEDIR, next to the binary (`locale/`, the build tree; `../share/locale`, an
// installed tree) or the install prefix's locale directory. false (and English) when the
// catalogue cannot be found or read; `error` says which and why.
bool setLanguage(Lang l, std::string* error = nullptr);
Lang language();

// The sentence in the chosen language (the English when the catalogue lacks it).
const char* tr(const char* msgid);
// Plural: English and Dutch both have "one" and "other" (n == 1).
const char* trn(const char* singular, const char* plural, unsigned long n);

// Marks a string for the catalogue without translating it here (tables of messages that are
// translated where they are printed, with tr()).
#define N_(s) s

// tr() with named placeholders filled: trf("{domain} is clear", fmt::arg("domain", d)).
std::string formatMessage(const char* english, const char* translated, fmt::format_args args);
template <typename... A>
std::string trf(const char* msgid, const A&... args) {
  return formatMessage(msgid, tr(msgid), fmt::make_format_args(args...));
}
template <typename... A>
std::string trnf(const char* singular, const char* plural, unsigned long n, const A&... args) {
  return formatMessage(n == 1 ? singular : plural, trn(singular, plural, n), fmt::make_format_args(args...));
}

// For a scope, another language (English for JSON, SARIF and JUnit, whose words scripts and CI
// servers read and which never change with the language); the catalogue stays loaded.
class LanguageScope {
 public:
  explicit LanguageScope(Lang l);
  ~LanguageScope();
  LanguageScope(const LanguageScope&) = delete;
  LanguageScope& operator=(const LanguageScope&) = delete;

 private:
  Lang saved_;
};

// For the catalogue test: every msgid of the loaded catalogue, and its translation.
struct CatalogueEntry {
  std::string_view id, plural, translation;
};
std::size_t catalogueSize();
std::optional<CatalogueEntry> catalogueEntry(std::size_t i);

}  // namespace offboard
