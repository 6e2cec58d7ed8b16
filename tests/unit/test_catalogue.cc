#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "checks/catalogue.h"
#include "commands/commands.h"

using namespace offboard;

namespace {

std::string run(const std::string& format) {
  std::ostringstream out, err;
  Io io{out, err};
  CatalogueOptions o;
  o.format = format;
  CHECK(runCatalogue(o, io) == kExitOk);
  CHECK(err.str().empty());
  return out.str();
}

bool isDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (char c : line)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// The JSON row of `pattern` in `cloud` (nullptr when absent).
const nlohmann::json* rowOf(const nlohmann::json& doc, const std::string& family, const std::string& pattern) {
  for (const auto& r : doc["rows"])
    if (r["family"] == family && r["pattern"] == pattern) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("every catalogue row names its source, a real verification date and a graded confidence") {
  const std::set<std::string> grades{"HIGH", "MEDIUM", "LOW"};
  for (const auto& s : catalogue()) {
    CAPTURE(s.pattern);
    CHECK_FALSE(s.source.empty());
    CHECK(isDate(std::string(s.verified)));
    CHECK(grades.count(std::string(s.confidence)) == 1);
  }
}

TEST_CASE("catalogue --format json: schema offboard.catalogue/1, one row per catalogue row, each complete") {
  auto doc = nlohmann::json::parse(run("json"));
  CHECK(doc["schema"] == "offboard.catalogue/1");
  REQUIRE(doc["rows"].is_array());
  CHECK(doc["rows"].size() == catalogue().size());
  std::size_t i = 0;
  for (const auto& r : doc["rows"]) {
    const Signature& s = catalogue()[i++];
    CAPTURE(s.pattern);
    for (const char* key : {"family", "record", "pattern", "confidence", "source", "last_verified"}) {
      CAPTURE(key);
      REQUIRE(r.contains(key));
      REQUIRE(r[key].is_string());
      CHECK_FALSE(r[key].get<std::string>().empty());
    }
    REQUIRE(r.contains("cloud"));
    CHECK((r["cloud"].is_null() ? s.cloud == Cloud::None : r["cloud"] == std::string(cloudName(s.cloud))));
    CHECK(r["source"] == std::string(s.source));
    CHECK(r["last_verified"] == std::string(s.verified));
    CHECK(r["confidence"] == std::string(s.confidence));
    CHECK(r["family"] == std::string(familyKey(s.family)));
  }
}

TEST_CASE("the catalogue carries the m365-dns.md §3.8 rows with their confidence") {
  auto doc = nlohmann::json::parse(run("json"));
  struct Want {
    const char* family;
    const char* pattern;
    const char* cloud;  // nullptr: any
    const char* confidence;
  };
  const Want wants[] = {
      {"msoid", "clientconfig.microsoftonline-p.net", "worldwide", "MEDIUM"},
      {"verification-mx", "*.msv1.invalid.outlook.com", "worldwide", "MEDIUM"},
      {"verification-txt", "NETORGFT<digits>.onmicrosoft.com", "worldwide", "LOW"},
      {"mx", "mail.global.bigfish.com", "worldwide", "MEDIUM"},
      {"mx", "mail.outlook.com", "worldwide", "MEDIUM"},
      {"autodiscover-srv", "autodiscover.outlook.com", "worldwide", "MEDIUM"},
      {"dkim", "*.onmicrosoft.us", "us-gov", "LOW"},
      {"dkim", "*.partner.onmschina.cn", "21vianet", "LOW"},
      {"mdm", "enterpriseenrollment.manage.microsoft.us", "us-gov", "LOW"},
      {"target-missing-dot", "<Microsoft 365 host>.<zone>.", nullptr, "HIGH"},
      {"verification-txt", "\"MS=ms\"...", nullptr, "HIGH"},
  };
  for (const auto& w : wants) {
    CAPTURE(w.pattern);
    const nlohmann::json* r = rowOf(doc, w.family, w.pattern);
    REQUIRE(r);
    CHECK((*r)["confidence"] == w.confidence);
    if (w.cloud) CHECK((*r)["cloud"] == w.cloud);
    else CHECK((*r)["cloud"].is_null());
    CHECK((*r)["source"].get<std::string>().find("m365-dns.md §") == 0);
  }
}

TEST_CASE("catalogue text: every row with its source, readable at 100 columns") {
  std::string text = run("text");
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  CHECK(text.find(std::to_string(catalogue().size()) + " rows") != std::string::npos);
  // A row's line is the one just above its "    source: " line, in catalogue order.
  std::size_t k = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CAPTURE(lines[i]);
    CHECK(columns(lines[i]) <= 100);
    if (lines[i].rfind("    source: ", 0) != 0) continue;
    REQUIRE(i > 0);
    REQUIRE(k < catalogue().size());
    const Signature& s = catalogue()[k++];
    CAPTURE(s.pattern);
    CHECK(lines[i] == "    source: " + std::string(s.source));
    std::istringstream row(lines[i - 1]);
    std::string family, cloud, pattern, confidence, verified;
    row >> family >> cloud;
    std::string rest;
    std::getline(row, rest);
    // The pattern may hold ", " (AtOrBelow); confidence and date are the last two words.
    std::size_t end = rest.find_last_not_of(' ');
    std::size_t dateAt = rest.rfind(' ', end);
    verified = rest.substr(dateAt + 1, end - dateAt);
    std::size_t confEnd = rest.find_last_not_of(' ', dateAt);
    std::size_t confAt = rest.rfind(' ', confEnd);
    confidence = rest.substr(confAt + 1, confEnd - confAt);
    std::size_t patStart = rest.find_first_not_of(' ');
    std::size_t patEnd = rest.find_last_not_of(' ', confAt);
    pattern = rest.substr(patStart, patEnd - patStart + 1);
    CHECK(family == std::string(familyKey(s.family)));
    CHECK(cloud == (s.cloud == Cloud::None ? std::string("any") : std::string(cloudName(s.cloud))));
    CHECK(pattern == patternText(s));
    CHECK(confidence == std::string(s.confidence));
    CHECK(verified == std::string(s.verified));
  }
  CHECK(k == catalogue().size());
}

TEST_CASE("the catalogue subcommand parses --format and refuses anything but text or json") {
  for (const char* format : {"json", "text"}) {
    CAPTURE(format);
    CLI::App app;
    Runner runner = setupCatalogue(app);
    app.parse(std::string("catalogue --format ") + format, false);
    std::ostringstream out, err;
    Io io{out, err};
    CHECK(runner(io) == kExitOk);
    CHECK((out.str().front() == '{') == (std::string(format) == "json"));
  }
  CLI::App app;
  setupCatalogue(app);
  CHECK_THROWS_AS(app.parse("catalogue --format markdown", false), CLI::ValidationError);
  CLI::App other;
  Runner notChosen = setupCatalogue(other);
  other.add_subcommand("check");
  other.parse("check", false);
  std::ostringstream out, err;
  Io io{out, err};
  CHECK(notChosen(io) == -1);  // a runner whose subcommand was not chosen does nothing
  CHECK(out.str().empty());
}

TEST_CASE("the remembered SPF terms are the terms, across generations of the memory") {
  // 1,500 distinct records (more than one generation holds), then the first ones again: each
  // answer is what spfQueryingTerms says of that very record, never another record's terms.
  auto record = [](int i) {
    return "v=spf1 include:_spf" + std::to_string(i) + ".provider.example redirect=_r" +
           std::to_string(i % 7) + ".example -all";
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 1500; i += pass ? 97 : 1) {
      CAPTURE(i);
      const std::string r = record(i);
      auto remembered = spfQueryingTermsOf(r);
      auto fresh = spfQueryingTerms(r);
      REQUIRE(remembered->size() == fresh.size());
      for (std::size_t k = 0; k < fresh.size(); ++k) {
        CHECK((*remembered)[k].written == fresh[k].written);
        CHECK((*remembered)[k].target == fresh[k].target);
        CHECK((*remembered)[k].kind == fresh[k].kind);
      }
    }
  }
  CHECK(spfQueryingTermsOf("not spf at all")->empty());
}
