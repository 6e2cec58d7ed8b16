// Renderers of the gate for CI systems: a Plan / GateDecision → JUnit XML, SARIF 2.1.0 (SPEC §4).
//
// What it is for: the gate's answer in the formats CI servers and code-scanning services
// read: JUnit XML with one testcase per step, SARIF 2.1.0 with one result per blocking step.
// Both say where the DNS evidence came from (SPEC §4 "evidence") and, when nothing live was
// asked (zone files), that the run is an offline rehearsal — a passing gate included.
// What it must not do: decide anything (the planner and gate did), read the clock, or let any
// string through unescaped for its medium (XML entities, JSON escaping).
#pragma once

#include <string>

#include "gate/gate.h"
#include "plan/plan_types.h"

namespace offboard {

// JUnit XML: one testcase per step (failure: open; error: indeterminate; skipped: waived and
// the steps that never block), with the attributes CI servers read: tests, failures, errors,
// skipped and time on testsuites and testsuite (time is 0: the gate verifies, it does not
// time), classname, name and time on each testcase, a message on each failure, error and
// skipped. The testsuite's properties carry verdict, evidence.source, evidence.servers,
// evidence.live (and evidence.rehearsal when not live), and its system-out the evidence line.
std::string renderGateJunit(const Plan& plan, const GateDecision& d);
// SARIF 2.1.0 that Microsoft's validator (Sarif.Multitool validate, its SARIF and GitHub rule
// sets) accepts: one result per open (error) or indeterminate (warning) step, one rule per
// action (id the action, name its friendly form: "update-mx", "UpdateMx"). `artifact` (the
// tenant file, when there is one) becomes each result's physical location, line 1: an absolute
// path as a file: URI, a relative one as a reference against %SRCROOT% (give it relative to
// the repository root for code scanning). run.properties carries "verdict" and "evidence"
// {source, servers, live}; when not live, the invocation carries a warning notification
// (declared in the driver's notifications) saying the run is an offline rehearsal.
std::string renderGateSarif(const Plan& plan, const GateDecision& d, const std::string& artifact);

}  // namespace offboard
