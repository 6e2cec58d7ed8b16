// The words for a step's data: what the planner decided, said for a person.
//
// What it is for: the planner puts typed record changes in a step (plan_types.h RecordChange);
// this turns each into the line the text, Markdown, HTML and JSON runbooks print, in one place,
// so every format says the same and a catalogue of translations has one place to look.
// What it must not do: decide anything; every fact comes from the change.
#pragma once

#include <string>
#include <vector>

#include "plan/plan_types.h"

namespace offboard {

// "delete: contoso.com. 3600 IN MX 0 contoso-com.mail.protection.outlook.com.", "create: …",
// "replace: A  =>  B", "was: …", "at the registrar: …", "move: …", a wait's reckoning.
std::string changeText(const RecordChange& c);
// Every change of `s`, in order.
std::vector<std::string> changeTexts(const PlanStep& s);

}  // namespace offboard
