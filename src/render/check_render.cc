#include "render/check_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/i18n.h"

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
  return trnf("{n} domain: {points} point at Microsoft 365, {indeterminate} indeterminate, {clear} clear",
              "{n} domains: {points} point at Microsoft 365, {indeterminate} indeterminate, {clear} clear",
              reports.size(), fmt::arg("n", reports.size()), fmt::arg("points", c.points),
              fmt::arg("indeterminate", c.indeterminate), fmt::arg("clear", c.clear));
}

// What a finding of this kind means and what to do, once per kind and domain (the records
// carry the facts). The checks' own per-record message (JSON "message") says the same in
// English with the record's facts woven in.
const char* explanation(FindingId id) {
  switch (id) {
    case FindingId::NsAtM365:
      return tr("The delegation names Microsoft 365's nameservers: Microsoft hosts this zone. Recreate every "
                "record at the new DNS host, then switch NS at the registrar; MX changes made elsewhere do not "
                "take effect before that.");
    case FindingId::MxAtM365:
      return tr("Inbound mail is delivered to Microsoft 365; after cancellation it bounces. Point MX at the new "
                "mail provider first.");
    case FindingId::SpfIncludesM365:
      return tr("SPF still authorises Microsoft 365's outbound servers to send as this domain. Remove that term "
                "and keep the rest of the record.");
    case FindingId::AutodiscoverAtM365:
      return tr("Outlook and mobile clients keep configuring themselves against Microsoft 365. Point "
                "autodiscover at the new provider or delete it.");
    case FindingId::DkimAtM365:
      return tr("DKIM selectors still delegate to Microsoft 365's signing keys. Replace them with the new "
                "provider's selectors or delete them.");
    case FindingId::MsoidAtM365:
      return tr("The msoid CNAME of older Office 365 setups: outside 21Vianet it breaks Office licence "
                "activation for users of this domain. Delete it.");
    case FindingId::TeamsAtM365:
      return tr("Teams / Skype for Business discovery still points at Microsoft 365; federation partners keep "
                "routing here. Delete these records.");
    case FindingId::MdmAtM365:
      return tr("Device enrolment / registration still points at Microsoft Intune / Entra. Delete these "
                "records, or point them at the new MDM.");
    case FindingId::VerificationTxt:
      return tr("A Microsoft 365 domain-verification record; harmless, delete it after the domain leaves the "
                "tenant.");
    case FindingId::VerificationMx:
      return tr("A Microsoft 365 domain-verification MX (it never receives mail). Delete it.");
    case FindingId::LookupFailed:
      return tr("These lookups failed: what they would show cannot be established, so nothing about it is "
                "read as clear. Retry, or fix the resolver or server.");
    case FindingId::NsInconsistent:
      return tr("The parent's delegation and the zone's own NS set differ (a switch in progress, or a stale "
                "NS set at the new host): resolvers may use either.");
    case FindingId::LameDelegation:
      return tr("A delegated server does not answer authoritatively for the domain: fix it or remove it from "
                "the NS set.");
    case FindingId::NoMx:
      return tr("The domain has no MX: mail falls back to its address records (RFC 5321 §5.1). Publish the new "
                "provider's MX, or a null MX (0 .) if the domain receives no mail.");
    case FindingId::DomainNxdomain:
      return tr("The domain does not exist in DNS (a typo, or a lapsed registration): nothing about it can be "
                "verified. Check the spelling and the registration.");
    case FindingId::MtaStsListsM365:
      return tr("The domain's MTA-STS policy admits only Microsoft 365's MX hosts: senders that cached it refuse "
                "(enforce) or report (testing) any other MX for up to its max_age. Before the MX change, publish a "
                "policy listing the new MX (or mode: none) under a new id in the _mta-sts TXT record, then wait "
                "the old max_age.");
    case FindingId::DnssecDsMismatch:
      return tr("The parent publishes DS records for the domain, and the DNS host the delegation moves to (or "
                "names now) serves no DNSKEY that matches one of them: validating resolvers treat the domain as "
                "bogus after the switch. Before switching NS, remove the DS records at the registrar and wait "
                "their TTL, or publish the matching key at the new host; sign the zone and add a DS only after "
                "the switch and its wait.");
    case FindingId::TargetMissingDot:
      return tr("The record's target is a Microsoft 365 host with the zone appended: the zone file lacks the "
                "final dot. Correct it to the intended target with its final dot.");
  }
  return "";
}

// The findings of one kind in a domain, in the order the checks gave them.
std::vector<std::pair<FindingId, std::vector<const Finding*>>> byKind(const DomainReport& r) {
  std::vector<std::pair<FindingId, std::vector<const Finding*>>> out;
  for (const auto& f : r.findings) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == f.id; });
    if (it == out.end()) out.push_back({f.id, {&f}});
    else it->second.push_back(&f);
  }
  return out;
}

// The per-record messages are worth printing (in English, the checks' language) when they say
// more than the kind's explanation: when they differ between the records of the kind.
bool recordsSayMore(const std::vector<const Finding*>& group) {
  if (language() != Lang::En) return false;
  for (const Finding* f : group)
    if (f->message != group.front()->message) return true;
  return group.size() == 1 && !group.front()->message.empty();
}

std::string recordText(const Finding& f) {
  std::string s = f.name.toString() + " " + rrTypeName(f.type) + " " + f.data;
  if (f.ttl) s += fmt::format(" (ttl {})", *f.ttl);
  if (f.id == FindingId::LookupFailed && !f.server.empty()) s += " @" + f.server;
  return s;
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
    for (const auto& [id, group] : byKind(r)) {
      const Finding& first = *group.front();
      std::string tag = fmt::format("{:<13}", std::string(severityName(first.severity)));
      out += fmt::format("  {} {}\n", paint(style, severityColor(first.severity), tag), findingIdName(id));
      const bool detail = recordsSayMore(group);
      for (const Finding* f : group) {
        out += fmt::format("  {:<13}   {}\n", "", recordText(*f));
        if (detail) out += std::string(group.size() == 1 ? 16 : 20, ' ') + f->message + "\n";
      }
      if (!detail) out += fmt::format("  {:<13} {}\n", "", explanation(id));
    }
  }
  if (reports.size() > 1) out += "\n" + summary(reports) + "\n";
  return out;
}

std::string renderCheckMarkdown(const std::vector<DomainReport>& reports) {
  std::string out = "# offboard check\n\n";
  out += fmt::format("**{}: {}** — {}\n\n", tr("Overall"), verdictName(overallVerdict(reports)), summary(reports));
  out += fmt::format("| {} | {} | {} | {} |\n|---|---|---|---|\n", tr("Domain"), tr("Verdict"), tr("Cloud"),
                     tr("Findings"));
  for (const auto& r : reports) {
    out += fmt::format("| {} | {} | {} | {} |\n", mdText(displayDomain(r)), verdictName(r.verdict),
                       r.cloud == Cloud::None ? "—" : std::string(cloudName(r.cloud)), r.findings.size());
  }
  for (const auto& r : reports) {
    out += fmt::format("\n## {} — {}\n\n", mdText(displayDomain(r)), verdictLine(r));
    if (r.findings.empty()) {
      out += std::string(tr("Nothing points at Microsoft 365.")) + "\n";
    } else {
      out += fmt::format("| {} | {} | {} |\n|---|---|---|\n", tr("Severity"), tr("Finding"), tr("Record"));
      for (const auto& f : r.findings)
        out += fmt::format("| {} | {} | {} |\n", severityName(f.severity), mdCode(std::string(findingIdName(f.id))),
                           mdCode(recordText(f)));
      out += "\n";
      for (const auto& [id, group] : byKind(r)) {
        out += fmt::format("- {}: {}\n", mdCode(std::string(findingIdName(id))), mdText(explanation(id)));
        if (recordsSayMore(group))
          for (const Finding* f : group) out += "  - " + mdText(f->message) + "\n";
      }
    }
    if (!r.records.empty()) {
      out += fmt::format("\n<details><summary>{}</summary>\n\n| {} | {} | TTL | {} |\n|---|---|---|---|\n",
                         tr("Records seen"), tr("Name"), tr("Type"), tr("Data"));
      for (const auto& rec : r.records)
        out += fmt::format("| {} | {} | {} | {} |\n", mdCode(rec.name.toString()), rrTypeName(rec.type), rec.ttl,
                           mdCode(rec.data));
      out += "\n</details>\n";
    }
  }
  return out;
}

}  // namespace offboard
