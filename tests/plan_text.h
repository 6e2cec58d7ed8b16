// Test helpers: plans and findings read through SPEC's strings, so that assertions stay in the
// words of the contract ("update-mx:contoso.com", "mx-at-m365") while the code holds types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "plan/plan_types.h"
#include "render/step_text.h"

namespace offboard::testing {

inline std::vector<std::string> texts(const std::vector<StepId>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(id.str());
  return out;
}

// The step a SPEC id names (nullptr when absent, or when the text is not a step id).
inline const PlanStep* findStep(const Plan& p, std::string_view text) {
  auto id = StepId::parse(text);
  return id ? offboard::findStep(p, *id) : nullptr;
}

// "update-mx:contoso.com".
inline std::string stepId(std::string_view action, const DnsName& domain) {
  return std::string(action) + ":" + domain.toStringNoDot();
}

inline std::string name(FindingId id) { return std::string(findingIdName(id)); }
inline std::string name(Action a) { return std::string(actionName(a)); }

}  // namespace offboard::testing
