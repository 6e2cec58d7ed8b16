#include "plan/steps.h"

#include "tenant/tenant.h"

namespace offboard {

std::string stepFormsList() {
  std::string out;
  for (const auto& f : actions()) {
    std::string form = std::string(f.name) + (f.perDomain ? ":DOMAIN" : "");
    out += "  " + form + std::string(form.size() < 36 ? 36 - form.size() : 1, ' ') +
           std::string(stepKindName(f.kind)) + std::string(8 - stepKindName(f.kind).size(), ' ') +
           std::string(f.summary) + "\n";
  }
  return out;
}

std::optional<ParsedStep> parseStepId(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<ParsedStep> {
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
  const auto a = actionFromName(action);
  if (!a) return fail("is not a step of the plan");
  const ActionInfo& info = actionInfo(*a);
  if (!info.perDomain) {
    if (hasColon) return fail("takes no domain (" + std::string(action) + " is tenant-wide)");
    return ParsedStep{StepId(*a), &info, std::nullopt};
  }
  if (!hasColon || domain.empty())
    return fail("needs a domain: " + std::string(action) + ":DOMAIN");
  std::string why;
  auto d = normalizeDomain(domain, &why);
  if (!d) return fail("names a domain that " + why);
  if (isInitialDomainName(d->name))
    return fail("names an initial Microsoft domain, which is never offboarded and has no steps");
  StepId id(*a, d->name);
  return ParsedStep{std::move(id), &info, std::move(*d)};
}

}  // namespace offboard
