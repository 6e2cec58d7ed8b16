// What the plan and gate renderers share: where the evidence came from (SPEC §4 "evidence"),
// in words and as JSON, and the JSON and list helpers every format uses.
//
// What it is for: one wording of the evidence for text, Markdown, HTML, JUnit and SARIF, and one
// JSON shape of it for plan JSON, gate JSON and SARIF's property bag.
// What it must not do: escape for a medium (each renderer does), or decide anything.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "plan/plan_types.h"

namespace offboard {

using ojson = nlohmann::ordered_json;

// Two-space indented JSON and a newline; invalid UTF-8 is replaced, never a throw mid-render.
std::string dumpJson(const ojson& j);
// The strings of `v` with `sep` between them.
std::string joinWith(const std::vector<std::string>& v, const std::string& sep);

// Who was asked, without the rehearsal note: "zone files in fixtures/zones", "recursive resolver
// 127.0.0.53:53", "authoritative servers, walked from the root (built-in root hints)".
std::string evidenceWhere(const EvidenceInfo& e);
// evidenceWhere, and "(offline rehearsal: nothing live was asked)" when not live. No
// "Evidence:" prefix; not escaped for any medium.
std::string evidenceText(const EvidenceInfo& e);
// "" when e.live; else why a pass proves nothing about live DNS: "offline rehearsal on zone
// files: not evidence that live DNS is ready".
std::string rehearsalWarning(const EvidenceInfo& e);
// SPEC §4 "evidence": {"source", "servers", "live"}.
ojson evidenceJson(const EvidenceInfo& e);

}  // namespace offboard
