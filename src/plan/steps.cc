#include "plan/steps.h"

#include <array>

#include "tenant/tenant.h"

namespace offboard {
namespace {

constexpr std::array<StepForm, 19> kForms{{
    {"confirm-admin-role", false, StepKind::Manual, "you are a Global or Billing admin (ack)"},
    {"reduce-licenses", false, StepKind::Manual, "fewer than 25 licenses on each cancelled subscription (ack)"},
    {"notify-users", false, StepKind::Manual, "users told the date and the new provider (ack)"},
    {"prepare-new-dns-host", true, StepKind::Dns, "every record exists at the new DNS host"},
    {"update-mx", true, StepKind::Dns, "MX points at the new mail provider (or a null MX)"},
    {"update-spf", true, StepKind::Dns, "SPF no longer includes Microsoft 365"},
    {"remove-autodiscover", true, StepKind::Dns, "autodiscover no longer at Microsoft 365"},
    {"remove-dkim", true, StepKind::Dns, "selector1/2._domainkey no longer at Microsoft 365"},
    {"remove-msoid", true, StepKind::Dns, "msoid CNAME removed"},
    {"remove-teams-records", true, StepKind::Dns, "sip/lyncdiscover/SRV no longer at Microsoft 365"},
    {"remove-mdm-records", true, StepKind::Dns, "enterpriseregistration/enrollment removed"},
    {"switch-ns", true, StepKind::Dns, "the delegation no longer names Microsoft's nameservers"},
    {"wait-propagation", true, StepKind::Time, "old records expired from caches (their TTL)"},
    {"move-users-off-domain", true, StepKind::Manual, "nothing uses the domain (Graph or ack)"},
    {"backup-data", false, StepKind::Manual, "mailboxes, OneDrive and SharePoint saved (ack)"},
    {"remove-domain", true, StepKind::Manual, "the domain removed from the tenant (Graph or ack)"},
    {"remove-verification-records", true, StepKind::Dns, "MS=ms… TXT and verification MX removed"},
    {"cancel-subscription", false, StepKind::Manual, "the step the gate unlocks"},
    {"uninstall-office", false, StepKind::Manual, "optional, after cancellation"},
}};

}  // namespace

std::span<const StepForm> stepForms() { return kForms; }

const StepForm* stepForm(std::string_view action) {
  for (const auto& f : kForms)
    if (f.action == action) return &f;
  return nullptr;
}

std::string stepFormsList() {
  std::string out;
  for (const auto& f : kForms) {
    std::string form = std::string(f.action) + (f.perDomain ? ":DOMAIN" : "");
    out += "  " + form + std::string(form.size() < 36 ? 36 - form.size() : 1, ' ') +
           std::string(stepKindName(f.kind)) + std::string(8 - stepKindName(f.kind).size(), ' ') +
           std::string(f.summary) + "\n";
  }
  return out;
}

std::string stepId(std::string_view action, const DnsName& domain) {
  return std::string(action) + ":" + domain.toStringNoDot();
}

std::optional<StepId> parseStepId(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<StepId> {
    if (error) *error = "step " + quoteForMessage(text) + " " + why + "; valid steps are:\n" + stepFormsList();
    return std::nullopt;
  };
  std::string_view action = text, domain;
  bool hasColon = false;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    action = text.substr(0, colon);
    domain = text.substr(colon + 1);
    hasColon = true;
  }
  const StepForm* f = stepForm(action);
  if (!f) return fail("is not a step of the plan");
  StepId out;
  out.form = f;
  if (!f->perDomain) {
    if (hasColon) return fail("takes no domain (" + std::string(action) + " is tenant-wide)");
    out.id = std::string(action);
    return out;
  }
  if (!hasColon || domain.empty())
    return fail("needs a domain: " + std::string(action) + ":DOMAIN");
  std::string why;
  auto d = normalizeDomain(domain, &why);
  if (!d) return fail("names a domain that " + why);
  if (isInitialDomainName(d->name))
    return fail("names an initial Microsoft domain, which is never offboarded and has no steps");
  out.id = stepId(action, d->name);
  out.domain = std::move(*d);
  return out;
}

}  // namespace offboard
