// Step identifiers (SPEC §4): the stable names `ack`, `waive`, the plan and the gate share.
//
// What it is for: one catalogue of the step forms ("update-mx:D", "backup-data", …), their kind,
// and strict parsing of what a user types after `ack`/`waive`, so a typo is an error listing the
// valid forms instead of an acknowledgement of a step that does not exist.
// What it must not do: decide whether a step applies to a tenant (the planner does).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/domain_input.h"
#include "plan/plan_types.h"

namespace offboard {

struct StepForm {
  std::string_view action;  // "update-mx"
  bool perDomain;           // the id is "action:D"
  StepKind kind;
  std::string_view summary; // one line for the list of valid forms
};

// Every step form, in plan order.
std::span<const StepForm> stepForms();
// The form of `action`, or nullptr.
const StepForm* stepForm(std::string_view action);

struct StepId {
  std::string id;        // canonical: "update-mx:xn--bcher-kva.example"
  const StepForm* form = nullptr;
  std::optional<DomainInput> domain;
};

// Parses a step id as typed: the action must be one of stepForms(), a per-domain action needs
// ":DOMAIN" (normalised like any domain input: U-labels become A-labels), a tenant-wide one
// must not have it. Initial domains (*.onmicrosoft.com …) are refused: they have no steps.
// nullopt with *error = a sentence and the list of valid forms.
std::optional<StepId> parseStepId(std::string_view text, std::string* error);

// "  confirm-admin-role            manual  …\n  update-mx:DOMAIN …" — the list for error messages.
std::string stepFormsList();

// "action:domain" for a per-domain step.
std::string stepId(std::string_view action, const DnsName& domain);

}  // namespace offboard
