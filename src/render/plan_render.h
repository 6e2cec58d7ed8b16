// Renderers for `plan` and `gate`: a Plan / GateDecision → text, Markdown, JSON, HTML, JUnit,
// SARIF (SPEC §4).
//
// What it is for: the runbook an admin follows (text, Markdown with a Mermaid step graph and a
// timeline of waits, one self-contained HTML file with the graph and timeline as inline SVG)
// and the gate's answer for people and CI systems (text, JSON offboard.gate/1, JUnit XML with
// one testcase per step, SARIF 2.1.0 with one result per blocking step). Every format says where
// the DNS evidence came from (SPEC §4 "evidence"), and, when nothing live was asked (zone
// files), that the run is an offline rehearsal — a passing gate included.
// What it must not do: decide anything (the planner and gate did), read the clock, or let any
// string through unescaped for its medium: HTML and XML entities, JSON escaping, Markdown
// escapes, no terminal control octets in text. The HTML has no script, and fetches nothing
// (no external stylesheet, font or image).
#pragma once

#include <string>

#include "gate/gate.h"
#include "plan/plan_types.h"
#include "render/check_render.h"
#include "render/ci_render.h"
#include "render/render_common.h"

namespace offboard {

// {"schema": "offboard.plan/1", …, "as_of", "evidence": {source, servers, live}, "steps":
// [{id, kind, status, after, why, verify, not_before?, …}], …}: steps in execution order.
std::string renderPlanJson(const Plan& plan);
std::string renderPlanText(const Plan& plan, const TextStyle& style);
std::string renderPlanMarkdown(const Plan& plan);
std::string renderPlanHtml(const Plan& plan);

// {"schema": "offboard.gate/1", "ready", "open": [{id, why}], "waived": [...],
// "indeterminate": [...], …, "as_of", "evidence": {source, servers, live}}. "ready" stays the
// gate's verdict on the evidence it had; "evidence.live" false marks an offline rehearsal.
std::string renderGateJson(const Plan& plan, const GateDecision& d);
std::string renderGateText(const Plan& plan, const GateDecision& d, const TextStyle& style);

// HTML/XML text escaping (& < > " '), with control octets other than tab/newline dropped.
std::string escapeXml(const std::string& s);

}  // namespace offboard
