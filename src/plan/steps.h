// Step identifiers as a user types them (SPEC §4): strict parsing for `ack`, `waive`, `revoke`.
//
// What it is for: turning what a user types after `ack`/`waive`/`revoke` into a typed StepId
// (core/ids.h), so that a typo is an error listing the valid forms instead of an
// acknowledgement of a step that does not exist; and that list, from the one action table.
// What it must not do: decide whether a step applies to a tenant (the planner does).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/domain_input.h"
#include "core/ids.h"

namespace offboard {

struct ParsedStep {
  StepId step;                       // canonical: update-mx with the A-label
  const ActionInfo* info = nullptr;  // the action's row of the table
  std::optional<DomainInput> domain; // as typed, normalised (U-label kept for messages)
};

// Parses a step id as typed: the action must be one of actions(), a per-domain action needs
// ":DOMAIN" (normalised like any domain input: U-labels become A-labels), a tenant-wide one
// must not have it. Initial domains (*.onmicrosoft.com …) are refused: they have no steps.
// nullopt with *error = a sentence and the list of valid forms.
std::optional<ParsedStep> parseStepId(std::string_view text, std::string* error);

// "  confirm-admin-role            manual  …\n  update-mx:DOMAIN …" — the list for error messages.
std::string stepFormsList();

}  // namespace offboard
