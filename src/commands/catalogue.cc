// `offboard catalogue` (SPEC §1): the Microsoft 365 signature catalogue itself, every row with its
// record family, cloud, pattern, confidence, source and the date it was last verified, so that a
// reader can see what a finding rests on (and how firmly) without reading C++.
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "checks/catalogue.h"
#include "commands/commands.h"
#include "core/i18n.h"

namespace offboard {
namespace {

std::string_view cloudOf(const Signature& s) {
  return s.cloud == Cloud::None ? std::string_view("any") : cloudName(s.cloud);
}

// Pads to `width` columns, counting UTF-8 code points (the sources hold '§').
std::string pad(std::string_view s, std::size_t width) {
  std::size_t columns = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++columns;
  std::string out(s);
  if (columns < width) out.append(width - columns, ' ');
  return out;
}

// One line per row (family, cloud, pattern, confidence, verified) and its source indented under
// it: with the source on the same line no row would fit in 100 columns.
void renderText(std::ostream& out) {
  auto rows = catalogue();
  std::size_t high = 0, medium = 0, low = 0;
  for (const auto& s : rows) {
    high += s.confidence == "HIGH";
    medium += s.confidence == "MEDIUM";
    low += s.confidence == "LOW";
  }
  out << "Microsoft 365 signature catalogue: " << rows.size() << " rows (" << high << " HIGH, "
      << medium << " MEDIUM, " << low << " LOW).\n"
      << "Names compare by whole labels, any case: \"*.x\" is strictly below x, \"x\" is x itself.\n"
      << "HIGH: a current Microsoft document; MEDIUM: an older one or a Microsoft employee's blog;\n"
      << "LOW: third-party or field evidence only (findings from it say so).\n\n";
  out << pad("FAMILY", 19) << pad("CLOUD", 11) << pad("PATTERN", 47) << pad("CONF", 8)
      << "VERIFIED\n";
  Family last{};
  bool first = true;
  for (const auto& s : rows) {
    if (first || s.family != last)
      out << (first ? "" : "\n") << "# " << familyKey(s.family) << ": " << familyRecord(s.family) << "\n";
    first = false;
    last = s.family;
    out << pad(familyKey(s.family), 19) << pad(cloudOf(s), 11) << pad(patternText(s), 47)
        << pad(s.confidence, 8) << s.verified << "\n"
        << "    source: " << s.source << "\n";
  }
}

void renderJson(std::ostream& out) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& s : catalogue()) {
    nlohmann::ordered_json row;
    row["family"] = std::string(familyKey(s.family));
    row["record"] = std::string(familyRecord(s.family));
    row["cloud"] = s.cloud == Cloud::None ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(std::string(cloudName(s.cloud)));
    row["pattern"] = patternText(s);
    row["confidence"] = std::string(s.confidence);
    row["source"] = std::string(s.source);
    row["last_verified"] = std::string(s.verified);
    rows.push_back(std::move(row));
  }
  nlohmann::ordered_json doc;
  doc["schema"] = "offboard.catalogue/1";
  doc["rows"] = std::move(rows);
  out << doc.dump(2) << "\n";
}

}  // namespace

int runCatalogue(const CatalogueOptions& o, Io& io) {
  if (o.format == "json") {
    renderJson(io.out);
  } else {
    renderText(io.out);
  }
  return kExitOk;
}

Runner setupCatalogue(CLI::App& app) {
  auto o = std::make_shared<CatalogueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "catalogue", tr("The Microsoft 365 signature catalogue: every pattern the checks match, with source"));
  cmd->footer(
      tr("Each row: record family, cloud (any = not cloud-specific), pattern, confidence (HIGH,\n"
      "MEDIUM, LOW as the research notes grade their sources), the source, and the date the row\n"
      "was last checked against it. Nothing graded UNVERIFIED is in it.\n"
      "\n"
      "Examples:\n"
      "  offboard catalogue\n"
      "  offboard catalogue --format json\n"
      "Exit: 0, or 2 on a usage error."));
  cmd->add_option("--format", o->format, tr("Output format"))
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    return runCatalogue(*o, io);
  };
}

}  // namespace offboard
