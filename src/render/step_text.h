// The words for a step's data: what the planner decided, said for a person.
//
// What it is for: the planner puts typed record changes in a step (plan_types.h RecordChange);
// this turns each, and a step's reason codes, into the words the text, Markdown, HTML, JSON,
// JUnit and SARIF outputs print, in one place,
// so every format says the same and a catalogue of translations has one place to look.
// What it must not do: decide anything; every fact comes from the change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gate/gate.h"
#include "plan/plan_types.h"

namespace offboard {

// "delete: contoso.com. 3600 IN MX 0 contoso-com.mail.protection.outlook.com.", "create: …",
// "replace: A  =>  B", "was: …", "at the registrar: …", "move: …", a wait's reckoning.
std::string changeText(const RecordChange& c);
// Every change of `s`, in order.
std::vector<std::string> changeTexts(const PlanStep& s);

// Why the step is in the plan (`p` gives the admin center).
std::string whyText(const PlanStep& s, const Plan& p);
// How offboard verifies it.
std::string verifyText(const PlanStep& s);
// Why it has its status now: its reason, and a waiver's who and why over it.
std::string stateText(const PlanStep& s);
// A plan note in words.
std::string noteText(const PlanNote& n);
std::vector<std::string> noteTexts(const Plan& p);
// Where the cloud came from: "tenant file", "DNS (contoso.com)", "assumed (…)".
std::string cloudBasisText(const Plan& p);
// What follows cancellation for the plan's cloud, one fact a line.
std::vector<std::string> afterCancellationTexts(const Plan& p);

// SPEC §4's summary of a plan: which domains still point at Microsoft 365 (the action names of
// their open DNS steps), the steps that can be done now, and the earliest time the gate can pass.
struct PlanSummary {
  std::vector<std::pair<std::string, std::vector<std::string>>> pointing;  // domain shown, actions
  std::vector<const PlanStep*> now;         // open, nothing before them open, not a wait
  bool gateCanPassNow = false;              // every gating step done or waived
  bool waitsUnknown = false;                // an open wait has no end yet (its change not seen)
  std::optional<std::int64_t> earliest;     // the last open wait's end, when every one is known
};
PlanSummary summarize(const Plan& p);
// Open, not a wait, and every step it comes after done or waived.
bool canStartNow(const PlanStep& s, const Plan& p);
// What to do for a step that can be done now, in a line.
std::string nextAction(const PlanStep& s);
// When the gate can pass, in a sentence.
std::string gatePassText(const Plan& p, const PlanSummary& s);

// Why the gate lists an item: the step's state (an open step with none: why it is in the plan),
// or that the plan has no step to verify.
std::string gateItemText(const GateItem& i, const Plan& p);

}  // namespace offboard
