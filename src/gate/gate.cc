#include "gate/gate.h"

namespace offboard {

GateDecision decide(const Plan& plan) {
  GateDecision d;
  for (const auto& s : plan.steps) {
    if (!s.gating) continue;
    if (s.ackOutOfOrder) d.outOfOrder.push_back(s.id);
    switch (s.status) {
      case StepStatus::Done: d.done.push_back(s.id); break;
      case StepStatus::Waived: d.waived.push_back({&s}); break;
      case StepStatus::Open: d.open.push_back({&s}); break;
      case StepStatus::Indeterminate: d.indeterminate.push_back({&s}); break;
    }
  }
  if (d.done.empty() && d.waived.empty() && d.open.empty() && d.indeterminate.empty())
    d.indeterminate.push_back({nullptr});  // fail closed: nothing verified is not ready
  d.verdict = !d.open.empty()            ? GateVerdict::Blocked
              : !d.indeterminate.empty() ? GateVerdict::Indeterminate
                                         : GateVerdict::Ready;
  return d;
}

int gateExitCode(const GateDecision& d) {
  switch (d.verdict) {
    case GateVerdict::Ready: return 0;
    case GateVerdict::Blocked: return 1;
    case GateVerdict::Indeterminate: return 3;
  }
  return 4;
}

std::string_view gateVerdictName(GateVerdict v) {
  switch (v) {
    case GateVerdict::Ready: return "ready";
    case GateVerdict::Blocked: return "blocked";
    case GateVerdict::Indeterminate: return "indeterminate";
  }
  return "blocked";
}

}  // namespace offboard
