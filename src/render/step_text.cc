#include "render/step_text.h"

#include "plan/planner.h"
#include "time/time_text.h"

namespace offboard {
namespace {

std::string waitBasisText(const RecordChange& c) {
  switch (c.basis) {
    case WaitBasis::TtlAtM365: return "its TTL at Microsoft 365 " + formatDuration(c.ttl);
    case WaitBasis::AssumedParentNs: return "the parent NS TTL was not observed: assumed " + formatDuration(c.ttl);
    case WaitBasis::FirstSight:
      return "first observed then, so when it changed is unknown: the TTL seen then " + formatDuration(c.ttl);
  }
  return "";
}

}  // namespace

std::string changeText(const RecordChange& c) {
  using Op = RecordChange::Op;
  const Record& r = c.record;
  switch (c.op) {
    case Op::Create: return "create: " + recordLine(r);
    case Op::CreateAny:
      if (c.any == RecordChange::Any::NewMailMx)
        return "create: " + r.name.toString() +
               " IN MX <the new mail provider's MX> (give new_mail.mx or --new-mx), or 0 . (null MX, "
               "RFC 7505) if the domain receives no mail";
      return "create: " + r.name.toString() + " IN " + rrTypeName(r.type) + " <" + c.value + ">";
    case Op::Delete:
      return "delete: " + r.name.toString() + (c.ttlKnown ? " " + std::to_string(r.ttl) : "") + " IN " +
             rrTypeName(r.type) + " " + r.data;
    case Op::Replace:
      return "replace: " + recordLine(r) + "  =>  " + (c.to ? recordLine(*c.to) : "") +
             (c.authorisesNothing ? "  (authorises no sender: add the new provider's include, "
                                    "new_mail.spf_include, unless the domain sends no mail)"
                                  : "");
    case Op::LastSeen: return "was: " + c.subject + " " + c.value + " (last seen " + formatRfc3339(c.at) + ")";
    case Op::RestOfZone:
      return "also: every other record of the zone (offboard sees only the names it queries; copy the "
             "rest from the admin center's DNS records page)";
    case Op::SetDelegation: {
      std::string target;
      for (const auto& n : c.targets) target += (target.empty() ? "" : " ") + n.toString();
      if (target.empty()) target = "the new DNS host's nameservers (give new_dns.nameservers or --new-ns)";
      return "at the registrar: set the NS records of " + r.name.toString() + " to " + target;
    }
    case Op::Wait:
      return c.subject + " as it is now since " + formatRfc3339(c.at) + "; " + waitBasisText(c) +
             " -> not before " + formatRfc3339(c.until);
    case Op::MoveObject: return "move: " + c.value;
  }
  return "";
}

std::vector<std::string> changeTexts(const PlanStep& s) {
  std::vector<std::string> out;
  out.reserve(s.changes.size());
  for (const auto& c : s.changes) out.push_back(changeText(c));
  return out;
}

}  // namespace offboard
