#include "plan/steps.h"

#include "core/i18n.h"

#include "tenant/tenant.h"

namespace offboard {

std::string stepFormsList() {
  std::string out;
  for (const auto& f : actions()) {
    std::string form = std::string(f.name) + (f.perDomain ? ":DOMAIN" : "");
    out += "  " + form + std::string(form.size() < 36 ? 36 - form.size() : 1, ' ') +
           std::string(stepKindName(f.kind)) + std::string(8 - stepKindName(f.kind).size(), ' ') +
           std::string(tr(f.summary.data())) + "\n";  // a literal of the action table: NUL-terminated
  }
  return out;
}

std::optional<ParsedStep> parseStepId(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<ParsedStep> {
    if (error)
      *error = trf("step {step} {why}; valid steps are:", fmt::arg("step", quoteForMessage(text)), fmt::arg("why", why)) +
               "\n" + stepFormsList();
    return std::nullopt;
  };
  std::string_view action = text, domain;
  bool hasColon = false;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    action = text.substr(0, colon);
    domain = text.substr(colon + 1);
    hasColon = true;
  }
  const auto a = actionFromName(action);
  if (!a) return fail(tr("is not a step of the plan"));
  const ActionInfo& info = actionInfo(*a);
  if (!info.perDomain) {
    if (hasColon) return fail(trf("takes no domain ({action} is tenant-wide)", fmt::arg("action", action)));
    return ParsedStep{StepId(*a), &info, std::nullopt};
  }
  if (!hasColon || domain.empty())
    return fail(trf("needs a domain: {action}:DOMAIN", fmt::arg("action", action)));
  std::string why;
  auto d = normalizeDomain(domain, &why);
  if (!d) return fail(trf("names a domain that {why}", fmt::arg("why", why)));
  if (isInitialDomainName(d->name))
    return fail(tr("names an initial Microsoft domain, which is never offboarded and has no steps"));
  StepId id(*a, d->name);
  return ParsedStep{std::move(id), &info, std::move(*d)};
}

}  // namespace offboard
