#include "render/check_render.h"

#include <fmt/format.h>

#include <map>

namespace offboard {
namespace {

std::string paint(const TextStyle& s, const char* code, const std::string& text) {
  if (!s.color) return text;
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

const char* severityColor(Severity s) {
  switch (s) {
    case Severity::Blocker: return "1;31";
    case Severity::Required: return "31";
    case Severity::Cleanup: return "33";
    case Severity::Warning: return "33";
    case Severity::Indeterminate: return "35";
  }
  return "0";
}

const char* verdictColor(Verdict v) {
  switch (v) {
    case Verdict::PointsAtM365: return "1;31";
    case Verdict::Indeterminate: return "1;35";
    case Verdict::Clear: return "1;32";
  }
  return "0";
}

std::string verdictLine(const DomainReport& r) {
  std::string v(verdictName(r.verdict));
  if (r.cloud != Cloud::None) v += fmt::format(" ({})", cloudName(r.cloud));
  return v;
}

// Markdown: text inside a code span must not contain backticks or line breaks, and a pipe must
// be escaped even there, or it splits the table cell (GFM tables: cells split before inlines).
std::string mdCode(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out.push_back('\\');
    out.push_back(c == '`' ? '\'' : (c == '\n' || c == '\r') ? ' ' : c);
  }
  return "`" + out + "`";
}

std::string mdText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '<' || c == '>' || c == '[' || c == ']' || c == '`')
      out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out;
}

struct Counts {
  std::size_t points = 0, indeterminate = 0, clear = 0;
};

Counts count(const std::vector<DomainReport>& reports) {
  Counts c;
  for (const auto& r : reports) {
    if (r.verdict == Verdict::PointsAtM365) ++c.points;
    else if (r.verdict == Verdict::Indeterminate) ++c.indeterminate;
    else ++c.clear;
  }
  return c;
}

std::string summary(const std::vector<DomainReport>& reports) {
  Counts c = count(reports);
  return fmt::format("{} domain{}: {} point at Microsoft 365, {} indeterminate, {} clear",
                     reports.size(), reports.size() == 1 ? "" : "s", c.points, c.indeterminate,
                     c.clear);
}

std::string hostList(const std::vector<DnsName>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " ") + n.toString();
  return s;
}

// The delegation and MX at a glance, so a reader sees why a domain is clear or not.
std::string evidenceLines(const DomainReport& r) {
  std::string out;
  const Delegation& del = r.delegation;
  if (del.parentSeen && (!del.childSeen || del.parentNs != del.childNs))
    out += fmt::format("  NS    (parent) {} (ttl {})\n", hostList(del.parentNs), *del.parentTtl);
  if (del.childSeen)
    out += fmt::format("  NS    {} (ttl {})\n", hostList(del.childNs), *del.childTtl);
  else if (del.parentSeen)
    out += fmt::format("  NS    {} (ttl {})\n", hostList(del.parentNs), *del.parentTtl);
  std::string mx;
  std::uint32_t ttl = 0;
  for (const auto& rec : r.records) {
    if (rec.type != RRType::MX || rec.name != r.domain) continue;
    mx += (mx.empty() ? "" : ", ") + rec.data;
    ttl = rec.ttl;
  }
  if (!mx.empty()) out += fmt::format("  MX    {} (ttl {})\n", mx, ttl);
  return out;
}

}  // namespace

Verdict overallVerdict(const std::vector<DomainReport>& reports) {
  Verdict v = Verdict::Clear;
  for (const auto& r : reports) v = worse(v, r.verdict);
  return v;
}

std::string displayDomain(const DomainReport& r) {
  if (r.unicode.empty()) return r.domain.toStringNoDot();
  return r.unicode + " (" + r.domain.toStringNoDot() + ")";
}

std::string renderCheckText(const std::vector<DomainReport>& reports, const TextStyle& style) {
  std::string out;
  for (const auto& r : reports) {
    out += fmt::format("{}: {}\n", paint(style, "1", displayDomain(r)),
                       paint(style, verdictColor(r.verdict), verdictLine(r)));
    out += evidenceLines(r);
    // Many lookups failing the same way (a dead resolver) read better as one line.
    std::map<std::pair<std::string, std::string>, std::vector<const Finding*>> failures;
    for (const auto& f : r.findings)
      if (f.id == FindingId::LookupFailed) failures[{f.data, f.server}].push_back(&f);
    for (const auto& f : r.findings) {
      if (f.id == FindingId::LookupFailed) {
        auto& group = failures[{f.data, f.server}];
        if (group.size() >= 3) {
          if (group.front() != &f) continue;
          std::string names;
          for (const Finding* g : group)
            names += (names.empty() ? "" : ", ") + rrTypeName(g->type) + " " + g->name.toString();
          std::string tag = fmt::format("{:<13}", std::string(severityName(f.severity)));
          out += fmt::format("  {} {:<22} {} lookups failed: {}{}\n",
                             paint(style, severityColor(f.severity), tag), findingIdName(f.id), group.size(),
                             f.data, f.server.empty() ? "" : " at " + f.server);
          out += fmt::format("  {:<13} {}\n", "", names);
          continue;
        }
      }
      std::string ttl = f.ttl ? fmt::format(" (ttl {})", *f.ttl) : "";
      std::string tag = fmt::format("{:<13}", std::string(severityName(f.severity)));
      out += fmt::format("  {} {:<22} {} {} {}{}\n", paint(style, severityColor(f.severity), tag),
                         findingIdName(f.id), f.name.toString(), rrTypeName(f.type), f.data, ttl);
      out += fmt::format("  {:<13} {}\n", "", f.message);
    }
  }
  if (reports.size() > 1) out += "\n" + summary(reports) + "\n";
  return out;
}

std::string renderCheckMarkdown(const std::vector<DomainReport>& reports) {
  std::string out = "# offboard check\n\n";
  out += fmt::format("**Overall: {}** — {}\n\n", verdictName(overallVerdict(reports)),
                     summary(reports));
  out += "| Domain | Verdict | Cloud | Findings |\n|---|---|---|---|\n";
  for (const auto& r : reports) {
    out += fmt::format("| {} | {} | {} | {} |\n", mdText(displayDomain(r)), verdictName(r.verdict),
                       r.cloud == Cloud::None ? "—" : std::string(cloudName(r.cloud)),
                       r.findings.size());
  }
  for (const auto& r : reports) {
    out += fmt::format("\n## {} — {}\n\n", mdText(displayDomain(r)), verdictLine(r));
    if (r.findings.empty()) {
      out += "Nothing points at Microsoft 365.\n";
    } else {
      out += "| Severity | Finding | Record | Why it matters |\n|---|---|---|---|\n";
      for (const auto& f : r.findings) {
        std::string rec = f.name.toString() + " " + rrTypeName(f.type) + " " + f.data;
        if (f.ttl) rec += fmt::format(" (ttl {})", *f.ttl);
        out += fmt::format("| {} | {} | {} | {} |\n", severityName(f.severity), mdCode(std::string(findingIdName(f.id))),
                           mdCode(rec), mdText(f.message));
      }
    }
    if (!r.records.empty()) {
      out += "\n<details><summary>Records seen</summary>\n\n| Name | Type | TTL | Data |\n|---|---|---|---|\n";
      for (const auto& rec : r.records)
        out += fmt::format("| {} | {} | {} | {} |\n", mdCode(rec.name.toString()),
                           rrTypeName(rec.type), rec.ttl, mdCode(rec.data));
      out += "\n</details>\n";
    }
  }
  return out;
}

}  // namespace offboard
