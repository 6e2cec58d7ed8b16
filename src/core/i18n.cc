#include "core/i18n.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#ifndef OFFBOARD_LOCALEDIR
#define OFFBOARD_LOCALEDIR "/usr/share/locale"
#endif

namespace offboard {
namespace {

// A loaded .mo file: its bytes, and the msgid → translation map over them.
struct Catalogue {
  std::string bytes;
  struct Entry {
    std::string_view id, plural, translation;  // translation: NUL-separated plural forms
  };
  std::vector<Entry> entries;
  std::unordered_map<std::string_view, std::size_t> byId;
};

Lang g_lang = Lang::En;
Catalogue g_catalogue;

std::uint32_t word(const std::string& b, std::size_t at, bool swap) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return swap ? __builtin_bswap32(v) : v;
}

// The .mo format (GNU gettext manual, "The Format of GNU MO Files"): magic, revision, N, the
// offsets of the original and translation tables; each table N (length, offset) pairs of
// NUL-terminated strings. Every offset is checked against the file: a damaged file is an error,
// never a read past its end.
bool parseMo(Catalogue& c, std::string* error) {
  auto fail = [error](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  const std::string& b = c.bytes;
  if (b.size() < 20) return fail("too short for a .mo file");
  std::uint32_t magic;
  std::memcpy(&magic, b.data(), 4);
  bool swap;
  if (magic == 0x950412deU) swap = false;
  else if (magic == 0xde120495U) swap = true;
  else return fail("not a .mo file (bad magic number)");
  if (word(b, 4, swap) >> 16 != 0) return fail("unknown .mo major revision");
  const std::uint64_t n = word(b, 8, swap), orig = word(b, 12, swap), trans = word(b, 16, swap);
  if (orig + n * 8 > b.size() || trans + n * 8 > b.size())
    return fail("string tables run past the end of the file");
  auto str = [&](std::uint64_t table, std::uint64_t i, std::string_view& out) {
    const std::uint64_t len = word(b, table + i * 8, swap), off = word(b, table + i * 8 + 4, swap);
    if (off + len >= b.size() || b[off + len] != '\0') return false;
    out = std::string_view(b.data() + off, len);
    return true;
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string_view id, tr;
    if (!str(orig, i, id) || !str(trans, i, tr))
      return fail("string " + std::to_string(i) + " runs past the end of the file");
    if (id.empty()) continue;  // the header entry
    Catalogue::Entry e{id, {}, tr};
    if (auto nul = id.find('\0'); nul != std::string_view::npos) {
      e.id = id.substr(0, nul);
      e.plural = id.substr(nul + 1);
    }
    c.byId.emplace(e.id, c.entries.size());
    c.entries.push_back(e);
  }
  return true;
}

std::string exeDir() {
  std::string buf(4096, '\0');
  ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return "";
  buf.resize(static_cast<std::size_t>(n));
  auto slash = buf.rfind('/');
  return slash == std::string::npos ? "" : buf.substr(0, slash);
}

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

const Catalogue::Entry* find(const char* msgid) {
  auto it = g_catalogue.byId.find(msgid);
  return it == g_catalogue.byId.end() ? nullptr : &g_catalogue.entries[it->second];
}

}  // namespace

std::string_view langName(Lang l) { return l == Lang::Nl ? "nl" : "en"; }

std::optional<Lang> langFromName(std::string_view s) {
  // "nl", "nl_NL", "nl_BE.UTF-8", "nl-NL", "nl@euro": the language is the part before _ - . @
  std::string_view lang = s.substr(0, s.find_first_of("_-.@"));
  if (lang == "nl") return Lang::Nl;
  if (lang == "en") return Lang::En;
  return std::nullopt;
}

Lang languageFromEnvironment(const char* (*getenv_)(const char*)) {
  auto get = [&](const char* name) -> std::string_view {
    const char* v = getenv_ ? getenv_(name) : std::getenv(name);
    return v ? v : "";
  };
  std::string_view locale;
  for (const char* v : {"LC_ALL", "LC_MESSAGES", "LANG"})
    if (!(locale = get(v)).empty()) break;
  const bool cLocale = locale.empty() || locale == "C" || locale == "POSIX" || locale.substr(0, 2) == "C.";
  if (!cLocale) {
    std::string_view list = get("LANGUAGE");
    while (!list.empty()) {
      auto colon = list.find(':');
      if (auto l = langFromName(list.substr(0, colon))) return *l;
      list = colon == std::string_view::npos ? "" : list.substr(colon + 1);
    }
  }
  if (auto l = langFromName(locale)) return *l;
  return Lang::En;
}

bool setLanguage(Lang l, std::string* error) {
  g_catalogue = Catalogue{};
  g_lang = Lang::En;
  if (l == Lang::En) return true;
  const std::string rel = std::string(langName(l)) + "/LC_MESSAGES/offboard.mo";
  std::vector<std::string> dirs;
  if (const char* d = std::getenv("OFFBOARD_LOCALEDIR"); d && *d) dirs.push_back(d);
  if (std::string exe = exeDir(); !exe.empty()) {
    dirs.push_back(exe + "/locale");
    dirs.push_back(exe + "/../share/locale");
  }
  dirs.push_back(OFFBOARD_LOCALEDIR);
  for (const auto& dir : dirs) {
    std::string bytes;
    if (!readFile(dir + "/" + rel, bytes)) continue;
    g_catalogue.bytes = std::move(bytes);
    std::string why;
    if (!parseMo(g_catalogue, &why)) {
      g_catalogue = Catalogue{};
      if (error) *error = dir + "/" + rel + ": " + why;
      return false;
    }
    g_lang = l;
    return true;
  }
  if (error) {
    *error = "no catalogue " + rel + " in";
    for (const auto& d : dirs) *error += " " + d;
  }
  return false;
}

Lang language() { return g_lang; }

// Only English, or the language whose catalogue is loaded, can be switched to.
LanguageScope::LanguageScope(Lang l) : saved_(g_lang) {
  if (l == Lang::En || !g_catalogue.entries.empty()) g_lang = l;
}
LanguageScope::~LanguageScope() { g_lang = saved_; }

const char* tr(const char* msgid) {
  if (g_lang == Lang::En) return msgid;
  const Catalogue::Entry* e = find(msgid);
  if (!e || e->translation.empty()) return msgid;
  return e->translation.data();  // NUL-terminated in the file (checked by parseMo)
}

const char* trn(const char* singular, const char* plural, unsigned long n) {
  const char* english = n == 1 ? singular : plural;
  if (g_lang == Lang::En) return english;
  const Catalogue::Entry* e = find(singular);
  if (!e || e->translation.empty()) return english;
  // "one\0other": Dutch and English share the rule (Plural-Forms: nplurals=2; plural=(n != 1)).
  std::string_view forms = e->translation;
  if (n == 1) return forms.data();
  auto nul = forms.find('\0');
  if (nul == std::string_view::npos || nul + 1 >= forms.size()) return english;
  return forms.data() + nul + 1;
}

std::string formatMessage(const char* english, const char* translated, fmt::format_args args) {
  try {
    return fmt::vformat(translated, args);
  } catch (const fmt::format_error&) {
    try {
      return fmt::vformat(english, args);
    } catch (const fmt::format_error&) {
      return english;
    }
  }
}

std::size_t catalogueSize() { return g_catalogue.entries.size(); }

std::optional<CatalogueEntry> catalogueEntry(std::size_t i) {
  if (i >= g_catalogue.entries.size()) return std::nullopt;
  const auto& e = g_catalogue.entries[i];
  return CatalogueEntry{e.id, e.plural, e.translation};
}

}  // namespace offboard
