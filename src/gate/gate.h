// The gate: may the subscription be cancelled now? (SPEC §4, §5; research reliability.md §6)
//
// What it is for: one decision from a Plan (which already holds the fresh DNS evidence, the
// state and the clock): ready only when every gating step is done or waived. Fails closed: a
// step without evidence is never done, so missing evidence can only make the answer
// "indeterminate" or "blocked", never "ready".
// What it must not do: resolve, read the state or the clock (the planner was given them), or
// count cancel-subscription (the step the gate unlocks) or uninstall-office (informational).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan_types.h"

namespace offboard {

enum class GateVerdict { Ready, Blocked, Indeterminate };

// A step the decision names, or (step null) the plan itself, which has no step to verify. The
// renderers say why (render/step_text gateItemText): the step's state, a waiver over it.
struct GateItem {
  const PlanStep* step = nullptr;  // into the decided plan, which must outlive the decision
  // The step id as SPEC prints it, or "plan".
  std::string name() const { return step ? step->id.str() : "plan"; }
};

struct GateDecision {
  GateVerdict verdict = GateVerdict::Blocked;
  std::vector<GateItem> open;           // steps still to do (blocking)
  std::vector<GateItem> indeterminate;  // steps whose evidence is missing (blocking)
  std::vector<GateItem> waived;         // passed by a recorded exception
  std::vector<StepId> done;
  // Steps whose ack was made while a step they come after was open (SPEC §4): listed so the
  // admin acknowledges them again; each is also in open or indeterminate.
  std::vector<StepId> outOfOrder;
};

// ready ⇔ no open and no indeterminate gating step; Blocked when any is open (a definite
// blocker), else Indeterminate.
GateDecision decide(const Plan& plan);

// SPEC §5: 0 ready, 1 blocked, 3 indeterminate.
int gateExitCode(const GateDecision& d);

// "ready", "blocked", "indeterminate".
std::string_view gateVerdictName(GateVerdict v);

}  // namespace offboard
