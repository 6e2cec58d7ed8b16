#include "render/zone_export.h"

#include <fmt/format.h>

#include <algorithm>

#include "plan/planner.h"
#include "render/plan_render.h"
#include "render/step_text.h"
#include "time/time_text.h"

namespace offboard {
namespace {

// SOA timers for a zone served by the new host (RFC 1912 §2.2 ranges): refresh 1 h, retry
// 15 min, expire 2 weeks, negative-caching TTL 1 h (RFC 2308 §5). A hosted-DNS provider
// replaces the SOA with its own on import; these matter for a server the admin runs.
constexpr std::uint32_t kTtl = 3600, kRefresh = 3600, kRetry = 900, kExpire = 1209600, kNegative = 3600;

// Placeholder nameservers when the plan names none: under .invalid, which never resolves
// (RFC 6761 §6.4), so an import that keeps them fails visibly instead of pointing anywhere.
const char* const kPlaceholderNs[] = {"ns1.new-dns-host.invalid.", "ns2.new-dns-host.invalid."};

// One comment line: text after "; ", control octets (a line break among them) as spaces.
std::string comment(const std::string& text) {
  std::string out = "; ";
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out + "\n";
}

// A record line as RFC 1035 §5.1 allows: any control octet that reached the data is written
// as \DDD, so it can never end the line (the data is otherwise already presentation form).
std::string recordText(const Record& r) {
  std::string out;
  for (unsigned char c : recordLine(r)) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\{:03d}", c);
    else out += static_cast<char>(c);
  }
  return out + "\n";
}

// The SOA serial: the plan's day as YYYYMMDD01 (RFC 1912 §2.2's date form).
std::string serialOf(std::int64_t now) {
  const std::string t = formatRfc3339(now);  // "2026-12-15T10:00:00Z"
  if (t.size() < 10) return "1";
  return t.substr(0, 4) + t.substr(5, 2) + t.substr(8, 2) + "01";
}

const PlanStep* stepOf(const Plan& p, Action a, const DnsName& d) { return findStep(p, StepId(a, d)); }

ZoneExport zoneOf(const Plan& p, const PlanStep& prepare) {
  const DnsName& D = *prepare.id.domain;
  ZoneExport z;
  z.origin = D;
  std::string& out = z.text;
  out += "; zone " + D.toStringNoDot() + "\n";
  if (!prepare.domainShown.empty() && prepare.domainShown != D.toStringNoDot()) out += comment(prepare.domainShown);
  const PlanStep* sw = stepOf(p, Action::SwitchNs, D);
  out += comment("The records to create at the new DNS host (" + prepare.id.str() + "), before " +
                 (sw ? sw->id.str() : std::string("the nameservers are switched")) + "; Microsoft 365's own records "
                 "are left out. Written by offboard plan as of " + formatRfc3339(p.now) + ".");
  out += comment("Evidence: " + evidenceText(p.evidence));
  out += comment("why: " + whyText(prepare, p));
  if (!stateText(prepare).empty()) out += comment("now: " + stateText(prepare));

  std::vector<DnsName> ns;
  if (sw)
    for (const auto& c : sw->changes)
      if (c.op == RecordChange::Op::SetDelegation) ns = c.targets;
  const bool placeholder = ns.empty();
  if (placeholder)
    for (const char* n : kPlaceholderNs) ns.push_back(*DnsName::parse(n));

  out += "$ORIGIN " + D.toString() + "\n";
  out += fmt::format("$TTL {}\n", kTtl);
  if (placeholder)
    out += comment("PLACEHOLDER: the plan names no nameserver of the new DNS host (new_dns.nameservers in the "
                   "tenant file, or --new-ns): replace " + std::string(kPlaceholderNs[0]) + " and " +
                   kPlaceholderNs[1] + " in the SOA and NS records below with the new host's.");
  out += comment("SOA: a DNS host that imports this file usually writes its own; hostmaster is the RFC 2142 mailbox.");
  out += fmt::format("@ {} IN SOA {} hostmaster.{} ( {} {} {} {} {} )\n", kTtl, ns.front().toString(), D.toString(),
                     serialOf(p.now), kRefresh, kRetry, kExpire, kNegative);
  for (const auto& n : ns) out += fmt::format("@ {} IN NS {}\n", kTtl, n.toString());

  std::vector<Record> created;
  for (const auto& c : prepare.changes)
    if (c.op == RecordChange::Op::Create) created.push_back(c.record);
  // A nameserver inside the zone needs its address in the zone (glue at the parent, RFC 1034 §4.2.1).
  for (const auto& n : ns) {
    if (!n.isPartOf(D)) continue;
    const bool addressed = std::any_of(created.begin(), created.end(), [&](const Record& r) {
      return r.name == n && (r.type == RRType::A || r.type == RRType::AAAA);
    });
    if (!addressed)
      out += comment(n.toString() + " is inside the zone: add its address (A and/or AAAA) here, and give it to the "
                     "registrar as glue.");
  }
  out += comment("the records the domain needs at the new DNS host");
  for (const auto& c : prepare.changes) {
    switch (c.op) {
      case RecordChange::Op::Create: out += recordText(c.record); break;
      // Not a record offboard can write (unknown new MX; zone records it could not list): the
      // step's own words, as a comment, so the file stays valid and nothing is invented.
      case RecordChange::Op::CreateAny:
      case RecordChange::Op::RestOfZone: out += comment("TO DO: " + changeText(c)); break;
      default: break;
    }
  }
  return z;
}

}  // namespace

std::vector<ZoneExport> zoneExports(const Plan& p) {
  std::vector<ZoneExport> out;
  for (const auto& s : p.steps)
    if (s.id.action == Action::PrepareNewDnsHost && s.id.domain) out.push_back(zoneOf(p, s));
  return out;
}

std::string renderZoneExport(const Plan& p) {
  std::vector<ZoneExport> zones = zoneExports(p);
  if (zones.empty())
    return comment("no zone to write: Microsoft hosts none of the plan's domains (no prepare-new-dns-host step)");
  std::string out;
  for (const auto& z : zones) out += (out.empty() ? "" : "\n") + z.text;
  return out;
}

}  // namespace offboard
