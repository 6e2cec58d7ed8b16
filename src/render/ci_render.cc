#include "render/ci_render.h"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <string_view>
#include <nlohmann/json.hpp>

#include "render/plan_render.h"
#include "render/render_common.h"
#include "render/step_text.h"
#include "time/time_text.h"

namespace offboard {
namespace {

// SARIF's friendly rule name (3.49.7), which must differ from the id: "update-mx" → "UpdateMx".
std::string friendlyName(std::string_view id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '-' || c == ':' || c == '.' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// A path as URI text (RFC 3986): every octet but the unreserved ones and "/" percent-encoded.
std::string uriPath(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The tenant file as a SARIF artifactLocation (3.4). An absolute path is a file: URI (RFC 8089);
// a relative one (as CI gives it, from the repository root) stays a relative reference against
// "%SRCROOT%", the base GitHub code scanning resolves against the checkout, and never starts
// with "/" (SARIF1004).
ojson artifactLocation(const std::string& path) {
  if (!path.empty() && path.front() == '/') return ojson{{"uri", "file://" + uriPath(path)}};
  std::string rel = path;
  while (rel.size() > 2 && rel.compare(0, 2, "./") == 0) rel.erase(0, 2);
  return ojson{{"uri", uriPath(rel)}, {"uriBaseId", "%SRCROOT%"}};
}

}  // namespace

std::string renderGateJunit(const Plan& p, const GateDecision& d) {
  int failures = 0, errors = 0, skipped = 0;
  std::string cases;
  for (const auto& s : p.steps) {
    std::string cls = "offboard.gate." + (s.id.domain ? s.id.domain->toStringNoDot() : std::string("tenant"));
    // The gate verifies, it does not time: every duration is 0 (CI servers require the attribute).
    cases += "    <testcase classname=\"" + escapeXml(cls) + "\" name=\"" + escapeXml(s.id.str()) + "\" time=\"0\">";
    if (!s.gating) {
      ++skipped;
      cases += "<skipped message=\"" +
               escapeXml(s.id.action == Action::CancelSubscription ? "the step the gate unlocks" : "informational: never blocks") +
               "\"/>";
    } else if (s.status == StepStatus::Open) {
      ++failures;
      cases += "<failure type=\"open\" message=\"" + escapeXml(stateText(s)) + "\">" + escapeXml(whyText(s, p)) + "</failure>";
    } else if (s.status == StepStatus::Indeterminate) {
      ++errors;
      cases += "<error type=\"indeterminate\" message=\"" + escapeXml(stateText(s)) + "\">" + escapeXml(whyText(s, p)) + "</error>";
    } else if (s.status == StepStatus::Waived) {
      ++skipped;
      cases += "<skipped message=\"" + escapeXml(stateText(s)) + "\"/>";
    } else {
      cases += "<system-out>" + escapeXml(stateText(s)) + "</system-out>";
    }
    cases += "</testcase>\n";
  }
  std::string counts = fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\"",
                                   p.steps.size(), failures, errors, skipped);
  auto prop = [](const std::string& name, const std::string& value) {
    return "<property name=\"" + escapeXml(name) + "\" value=\"" + escapeXml(value) + "\"/>";
  };
  const EvidenceInfo& e = p.evidence;
  std::string props = prop("verdict", std::string(gateVerdictName(d.verdict))) +
                      prop("evidence.source", std::string(evidenceSourceName(e.source))) +
                      prop("evidence.servers", joinWith(e.servers, ", ")) +
                      prop("evidence.live", e.live ? "true" : "false");
  if (!e.live) props += prop("evidence.rehearsal", rehearsalWarning(e));
  // The testsuite's own output (JUnit allows it after the testcases) says the same in words.
  std::string suiteOut = "Evidence: " + evidenceText(e) + (e.live ? "" : "\n" + rehearsalWarning(e));
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"offboard gate\" " + counts +
         ">\n  <testsuite name=\"offboard.gate\" " + counts + " timestamp=\"" + formatRfc3339(p.now) +
         "\">\n    <properties>" + props + "</properties>\n" + cases + "    <system-out>" +
         escapeXml(suiteOut) + "</system-out>\n  </testsuite>\n</testsuites>\n";
}

std::string renderGateSarif(const Plan& p, const GateDecision& d, const std::string& artifact) {
  ojson rules = ojson::array();
  std::map<std::string, int> ruleIndex;
  ojson results = ojson::array();
  auto add = [&](const GateItem& item, const char* level) {
    const PlanStep* s = item.step;
    // One rule per action (every domain's update-mx is the same rule); "plan" for the plan itself.
    const std::string action = s ? std::string(actionName(s->id.action)) : item.name();
    if (!ruleIndex.count(action)) {
      ruleIndex[action] = static_cast<int>(rules.size());
      ojson rule{{"id", action}, {"name", friendlyName(action)}};
      if (s) {
        rule["shortDescription"] = {{"text", verifyText(*s)}};
        rule["fullDescription"] = {{"text", whyText(*s, p)}};
        rule["help"] = {{"text", "Verified by: " + verifyText(*s)}};
      }
      rules.push_back(std::move(rule));
    }
    ojson loc;
    // The result is about the tenant, not one line of its file: the region is the file's first
    // line, where code scanning shows it (SARIF2017: a physical location has a region).
    if (!artifact.empty())
      loc["physicalLocation"] = {{"artifactLocation", artifactLocation(artifact)}, {"region", {{"startLine", 1}}}};
    loc["logicalLocations"] = ojson::array({{{"name", item.name()}, {"fullyQualifiedName", item.name()}, {"kind", "resource"}}});
    results.push_back({{"ruleId", action},
                       {"ruleIndex", ruleIndex[action]},
                       {"level", level},
                       {"message", {{"text", item.name() + ": " + gateItemText(item, p)}}},
                       {"locations", ojson::array({loc})},
                       {"partialFingerprints", {{"offboardStep/v1", item.name()}}}});
  };
  for (const auto& i : d.open) add(i, "error");
  for (const auto& i : d.indeterminate) add(i, "warning");
  ojson driver{{"name", "offboard"}};
#ifdef OFFBOARD_VERSION
  driver["fullName"] = std::string("offboard ") + OFFBOARD_VERSION;
  driver["version"] = OFFBOARD_VERSION;
  driver["semanticVersion"] = OFFBOARD_VERSION;
#else
  driver["fullName"] = "offboard";
#endif
  driver["rules"] = rules;
  ojson invocation{{"executionSuccessful", true}, {"endTimeUtc", formatRfc3339(p.now)}};
  if (!p.evidence.live) {
    // A notification about the run itself (SARIF 2.1.0 invocation), not a result; its
    // descriptor is declared in the driver's notifications, as SARIF2012 asks.
    driver["notifications"] = ojson::array(
        {{{"id", "offline-rehearsal"},
          {"name", "OfflineRehearsal"},
          {"shortDescription", {{"text", rehearsalWarning(p.evidence)}}},
          {"fullDescription", {{"text", "Evidence: " + evidenceText(p.evidence)}}},
          {"help", {{"text", "Run the gate against live DNS (without --zones) before cancelling the subscription."}}}}});
    invocation["toolExecutionNotifications"] = ojson::array(
        {{{"level", "warning"},
          {"descriptor", {{"id", "offline-rehearsal"}, {"index", 0}}},
          {"message", {{"text", rehearsalWarning(p.evidence) + " (evidence: " + evidenceWhere(p.evidence) + ")"}}}}});
  }
  ojson run;
  run["tool"] = {{"driver", driver}};
  run["invocations"] = ojson::array({invocation});
  run["results"] = results;
  run["properties"] = {{"verdict", std::string(gateVerdictName(d.verdict))},
                       {"evidence", evidenceJson(p.evidence)}};
  ojson j;
  j["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  j["version"] = "2.1.0";
  j["runs"] = ojson::array({run});
  return dumpJson(j);
}

}  // namespace offboard
