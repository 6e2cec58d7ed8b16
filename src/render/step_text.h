// The words for a step's data: what the planner decided, said for a person.
//
// What it is for: the planner puts typed record changes in a step (plan_types.h RecordChange);
// this turns each, and a step's reason codes, into the words the text, Markdown, HTML, JSON,
// JUnit and SARIF outputs print, in one place,
// so every format says the same and a catalogue of translations has one place to look.
// What it must not do: decide anything; every fact comes from the change.
#pragma once

#include <string>
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

// Why the gate lists an item: the step's state (an open step with none: why it is in the plan),
// or that the plan has no step to verify.
std::string gateItemText(const GateItem& i, const Plan& p);

}  // namespace offboard
