#include "render/plan_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "time/time_text.h"
#include "render/step_text.h"

namespace offboard {
namespace {

using ojson = nlohmann::ordered_json;

std::string dump(const ojson& j) {
  // Invalid UTF-8 from a state file or a zone is replaced, never a throw mid-render.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Text output: no terminal control octets from user or network strings (ANSI injection).
std::string clean(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\t') out += ' ';
    else if (c < 0x20 || c == 0x7f) out += '?';
    else out += static_cast<char>(c);
  }
  return out;
}

std::string paint(const TextStyle& s, const char* code, const std::string& text) {
  if (!s.color) return text;
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

const char* statusColor(StepStatus s) {
  switch (s) {
    case StepStatus::Done: return "32";
    case StepStatus::Open: return "1;31";
    case StepStatus::Waived: return "33";
    case StepStatus::Indeterminate: return "1;35";
  }
  return "0";
}

// Step ids as SPEC prints them.
std::vector<std::string> idTexts(const std::vector<StepId>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.push_back(id.str());
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

ojson stepJson(const PlanStep& s, const Plan& p) {
  ojson o;
  o["id"] = s.id.str();
  o["kind"] = std::string(stepKindName(s.kind));
  o["status"] = std::string(stepStatusName(s.status));
  o["after"] = idTexts(s.after);
  o["why"] = whyText(s, p);
  o["verify"] = verifyText(s);
  if (s.notBefore) o["not_before"] = formatRfc3339(*s.notBefore);
  if (s.id.domain) o["domain"] = s.id.domain->toStringNoDot();
  o["state"] = stateText(s);
  o["records"] = changeTexts(s);
  o["gating"] = s.gating;
  if (s.optional) o["optional"] = true;
  if (s.clockStart) o["clock_started"] = formatRfc3339(*s.clockStart);
  if (s.ack)
    o["ack"] = {{"by", s.ack->by}, {"at", formatRfc3339(s.ack->at)}, {"note", s.ack->note}};
  if (s.waiver)
    o["waiver"] = {{"by", s.waiver->by}, {"at", formatRfc3339(s.waiver->at)}, {"reason", s.waiver->reason}};
  return o;
}

// Who was asked, without the rehearsal note.
std::string evidenceWhere(const EvidenceInfo& e) {
  std::string who = join(e.servers, ", ");
  std::string out;
  switch (e.source) {
    case EvidenceSource::Zones:
      out = who.empty() ? "zone files" : "zone files in " + who;
      break;
    case EvidenceSource::Resolver:
      out = e.servers.size() == 1 ? "recursive resolver " + who
            : who.empty()         ? "recursive resolvers (none named)"
                                  : "recursive resolvers " + who;
      break;
    case EvidenceSource::SystemResolver:
      out = e.servers.size() == 1 ? "system resolver " + who
            : who.empty()         ? "the system's resolvers"
                                  : "system resolvers " + who;
      break;
    case EvidenceSource::Authoritative:
      out = "authoritative servers, walked from the root" + (who.empty() ? "" : " (" + who + ")");
      break;
  }
  return out;
}

// SPEC §4 "evidence": the same three keys in plan and gate JSON and in SARIF's property bag.
ojson evidenceJson(const EvidenceInfo& e) {
  ojson o;
  o["source"] = std::string(evidenceSourceName(e.source));
  o["servers"] = ojson::array();
  for (const auto& s : e.servers) o["servers"].push_back(s);
  o["live"] = e.live;
  return o;
}

std::string header(const Plan& p) {
  return (p.tenant.empty() ? std::string("the tenant") : p.tenant) + " — cloud " +
         std::string(cloudName(p.cloud)) + " (" + cloudBasisText(p) + "), as of " + formatRfc3339(p.now);
}

// ---- Markdown ------------------------------------------------------------------------------

std::string mdText(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '<' || c == '>' || c == '[' || c == ']' ||
        c == '`' || c == '\\' || c == '#' || c == '&')
      out.push_back('\\');
    out.push_back(c == '\n' || c == '\r' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c));
  }
  return out;
}

std::string mdCode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out.push_back(c == '`' ? '\'' : (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c));
  return "`" + out + "`";
}

// A fenced block whose fence is longer than any backtick run inside (CommonMark §4.5).
std::string mdFence(const std::string& info, const std::vector<std::string>& lines) {
  std::size_t longest = 0, run = 0;
  for (const auto& l : lines)
    for (char c : l) {
      run = c == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
  std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  std::string out = fence + info + "\n";
  for (const auto& l : lines) out += clean(l) + "\n";
  return out + fence + "\n";
}

// Mermaid node labels: only characters that cannot end the label or inject markup.
std::string mermaidSafe(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    out.push_back(std::isalnum(c) || c == '.' || c == ':' || c == '-' || c == ' ' ? static_cast<char>(c) : '_');
  return out;
}

// ---- HTML ---------------------------------------------------------------------------------

std::string h(const std::string& s) { return escapeXml(s); }

const char* statusFill(StepStatus s) {
  switch (s) {
    case StepStatus::Done: return "#d8f0d8";
    case StepStatus::Open: return "#f8d8d8";
    case StepStatus::Waived: return "#f8ecc8";
    case StepStatus::Indeterminate: return "#e8d8f0";
  }
  return "#ffffff";
}

// Layered layout of the step graph: a step's column is one more than its latest dependency's.
struct Layout {
  std::map<StepId, std::pair<int, int>> pos;  // id -> (column, row)
  int columns = 0, rows = 0;
};

Layout layout(const Plan& p) {
  Layout l;
  std::map<int, int> used;
  for (const auto& s : p.steps) {
    int col = 0;
    for (const auto& a : s.after) {
      auto it = l.pos.find(a);
      if (it != l.pos.end()) col = std::max(col, it->second.first + 1);
    }
    int row = used[col]++;
    l.pos[s.id] = {col, row};
    l.columns = std::max(l.columns, col + 1);
    l.rows = std::max(l.rows, row + 1);
  }
  return l;
}

std::string shorten(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  return s.substr(0, n - 1) + "…";
}

std::string svgGraph(const Plan& p) {
  const int W = 250, H = 46, GX = 40, GY = 14, PAD = 10;
  Layout l = layout(p);
  int width = PAD * 2 + l.columns * (W + GX) - GX;
  int height = PAD * 2 + l.rows * (H + GY) - GY;
  std::string out = fmt::format(
      "<svg class=\"graph\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"Step graph\">\n",
      width, height, width, height);
  auto xy = [&](const StepId& id) {
    auto [c, r] = l.pos.at(id);
    return std::pair<int, int>{PAD + c * (W + GX), PAD + r * (H + GY)};
  };
  for (const auto& s : p.steps) {
    auto [x2, y2] = xy(s.id);
    for (const auto& a : s.after) {
      if (!l.pos.count(a)) continue;
      auto [x1, y1] = xy(a);
      int sx = x1 + W, sy = y1 + H / 2, ex = x2, ey = y2 + H / 2;
      out += fmt::format("<path class=\"edge\" d=\"M{} {} C{} {} {} {} {} {}\"/>\n", sx, sy,
                         sx + GX / 2, sy, ex - GX / 2, ey, ex - 4, ey);
      out += fmt::format("<path class=\"arrow\" d=\"M{} {} l-6 -4 v8 z\"/>\n", ex, ey);
    }
  }
  for (const auto& s : p.steps) {
    auto [x, y] = xy(s.id);
    out += fmt::format(
        "<g><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" "
        "fill=\"{}\" class=\"node{}\"/>",
        h(s.id.str() + " — " + std::string(stepStatusName(s.status)) + ": " + stateText(s)), x, y, W, H,
        statusFill(s.status), s.gating ? "" : " soft");
    out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"id\">{}</text>", x + 8, y + 19, h(shorten(s.id.str(), 34)));
    out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"st\">{} · {}</text></g>\n", x + 8, y + 36,
                       h(std::string(stepKindName(s.kind))), h(std::string(stepStatusName(s.status))));
  }
  return out + "</svg>\n";
}

std::string svgTimeline(const Plan& p) {
  std::vector<const PlanStep*> waits;
  for (const auto& s : p.steps)
    if (s.kind == StepKind::Time && s.notBefore) waits.push_back(&s);
  if (waits.empty()) return "";
  std::int64_t lo = p.now, hi = p.now;
  for (const PlanStep* w : waits) {
    lo = std::min(lo, w->clockStart.value_or(*w->notBefore));
    hi = std::max(hi, *w->notBefore);
  }
  if (hi == lo) hi = lo + 1;
  const int LABEL = 260, BAR = 560, ROW = 30, TOP = 30, PAD = 10;
  int width = PAD * 2 + LABEL + BAR + 150;  // room for the last end time
  int height = TOP + static_cast<int>(waits.size()) * ROW + 34;
  auto x = [&](std::int64_t t) {
    return PAD + LABEL + static_cast<int>((static_cast<double>(t - lo) / static_cast<double>(hi - lo)) * BAR);
  };
  std::string out = fmt::format(
      "<svg class=\"timeline\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"Timeline of waits\">\n",
      width, height, width, height);
  out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", x(lo),
                     TOP - 8, x(hi), TOP - 8);
  out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\n", x(lo), TOP - 14, h(formatRfc3339(lo)));
  out += fmt::format("<text class=\"tick end\" x=\"{}\" y=\"{}\">{}</text>\n", x(hi), TOP - 14, h(formatRfc3339(hi)));
  int i = 0;
  for (const PlanStep* w : waits) {
    int y = TOP + i++ * ROW;
    std::int64_t start = w->clockStart.value_or(*w->notBefore);
    out += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\">{}</text>", PAD, y + 15, h(shorten(w->id.str(), 40)));
    out += fmt::format(
        "<g><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" rx=\"3\" "
        "fill=\"{}\" class=\"bar\"/></g>",
        h(w->id.str() + ": " + formatRfc3339(start) + " → " + formatRfc3339(*w->notBefore)), x(start), y + 2,
        std::max(2, x(*w->notBefore) - x(start)), statusFill(w->status));
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\n", x(*w->notBefore) + 4, y + 15,
                       h(formatRfc3339(*w->notBefore)));
  }
  int nx = x(p.now);
  out += fmt::format("<line class=\"now\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", nx, TOP - 8, nx, height - 20);
  out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\">now {}</text>\n", nx + 3, height - 6, h(formatRfc3339(p.now)));
  return out + "</svg>\n";
}

constexpr const char* kCss = R"(.evidence.offline{background:#f8ecc8;border-left:4px solid #c90;padding:.3em .6em}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.scroll{overflow-x:auto;border:1px solid #eee;padding:.5em}
svg text{font:12px system-ui,sans-serif;fill:#222}svg text.id{font-weight:600}svg text.st{fill:#555}
svg .edge{fill:none;stroke:#888;stroke-width:1.2}svg .arrow{fill:#888}
svg .node{stroke:#666}svg .node.soft{stroke-dasharray:4 3}
svg .axis{stroke:#999}svg .now{stroke:#c00;stroke-dasharray:3 3}svg .bar{stroke:#666}
svg text.tick{font-size:11px;fill:#555}svg text.end{text-anchor:end}
ol.steps>li{margin:0 0 1.2em}.tag{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em;font-weight:600}
.done{background:#d8f0d8}.open{background:#f8d8d8}.waived{background:#f8ecc8}.indeterminate{background:#e8d8f0}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
dl{margin:.3em 0}dt{font-weight:600;float:left;width:6em}dd{margin-left:6.5em}
@media print{.scroll{overflow:visible}}
)";

}  // namespace

std::string escapeXml(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) break;  // not allowed in XML 1.0
        out += static_cast<char>(c);
    }
  }
  return out;
}

std::string evidenceText(const EvidenceInfo& e) {
  return evidenceWhere(e) + (e.live ? "" : " (offline rehearsal: nothing live was asked)");
}

std::string rehearsalWarning(const EvidenceInfo& e) {
  if (e.live) return "";
  return std::string(e.source == EvidenceSource::Zones ? "offline rehearsal on zone files"
                                                       : "offline rehearsal") +
         ": not evidence that live DNS is ready";
}

std::string renderPlanJson(const Plan& p) {
  ojson j;
  j["schema"] = "offboard.plan/1";
  j["tenant"] = p.tenant.empty() ? ojson(nullptr) : ojson(p.tenant);
  j["cloud"] = std::string(cloudName(p.cloud));
  j["as_of"] = formatRfc3339(p.now);
  j["evidence"] = evidenceJson(p.evidence);
  j["steps"] = ojson::array();
  for (const auto& s : p.steps) j["steps"].push_back(stepJson(s, p));
  j["domains_may_stay"] = p.domainsMayStay;
  j["notes"] = noteTexts(p);
  j["admin_center"] = p.adminCenter;
  j["after_cancellation"] = afterCancellationTexts(p);
  return dump(j);
}

std::string renderPlanText(const Plan& p, const TextStyle& style) {
  std::string out = paint(style, "1", "Offboarding runbook") + ": " + clean(header(p)) + "\n";
  out += "Evidence: " + clean(evidenceText(p.evidence)) + "\n";
  for (const auto& n : noteTexts(p)) out += "note: " + clean(n) + "\n";
  out += "\n";
  int i = 0;
  for (const auto& s : p.steps) {
    std::string tag = "[" + std::string(stepStatusName(s.status)) + "]";
    out += fmt::format("{:>3}. {} {}  ({}{}{})\n", ++i, paint(style, statusColor(s.status), tag),
                       paint(style, "1", clean(s.id.str())), stepKindName(s.kind),
                       s.after.empty() ? "" : ", after: " + clean(join(idTexts(s.after), ", ")),
                       s.optional ? ", optional" : "");
    out += "       why:    " + clean(whyText(s, p)) + "\n";
    out += "       verify: " + clean(verifyText(s)) + "\n";
    if (!stateText(s).empty()) out += "       now:    " + clean(stateText(s)) + "\n";
    if (s.notBefore) out += "       not before: " + formatRfc3339(*s.notBefore) + "\n";
    for (const auto& r : changeTexts(s)) out += "         " + clean(r) + "\n";
  }
  out += "\nAfter cancellation:\n";
  for (const auto& l : afterCancellationTexts(p)) out += "  - " + clean(l) + "\n";
  return out;
}

std::string renderPlanMarkdown(const Plan& p) {
  std::string out = "# Offboarding runbook\n\n" + mdText(header(p)) + "\n\n";
  out += "**Evidence:** " + mdText(evidenceText(p.evidence)) + "\n\n";
  if (!p.notes.empty()) {
    out += "## Notes\n\n";
    for (const auto& n : noteTexts(p)) out += "- " + mdText(n) + "\n";
    out += "\n";
  }
  out += "## Step graph\n\n```mermaid\ngraph LR\n";
  std::map<StepId, std::string> node;
  for (std::size_t i = 0; i < p.steps.size(); ++i) node[p.steps[i].id] = "s" + std::to_string(i);
  for (const auto& s : p.steps)
    out += "  " + node[s.id] + "[\"" + mermaidSafe(s.id.str()) + " - " + std::string(stepStatusName(s.status)) + "\"]:::" +
           std::string(stepStatusName(s.status)) + "\n";
  for (const auto& s : p.steps)
    for (const auto& a : s.after)
      if (node.count(a)) out += "  " + node[a] + " --> " + node[s.id] + "\n";
  out += "  classDef done fill:#d8f0d8\n  classDef open fill:#f8d8d8\n"
         "  classDef waived fill:#f8ecc8\n  classDef indeterminate fill:#e8d8f0\n```\n\n";

  out += "## Timeline of waits\n\n";
  bool any = false;
  for (const auto& s : p.steps) {
    if (s.kind != StepKind::Time) continue;
    if (!any) out += "| wait | clock started | not before | status |\n|---|---|---|---|\n";
    any = true;
    out += "| " + mdCode(s.id.str()) + " | " + (s.clockStart ? formatRfc3339(*s.clockStart) : "—") + " | " +
           (s.notBefore ? formatRfc3339(*s.notBefore) : "not yet known: " + mdText(stateText(s))) + " | " +
           std::string(stepStatusName(s.status)) + " |\n";
  }
  if (!any) out += "No waits: no record was changed away from Microsoft 365.\n";
  out += "\n## Steps\n\n";
  int i = 0;
  for (const auto& s : p.steps) {
    out += fmt::format("### {}. {} — {}\n\n", ++i, mdCode(s.id.str()), stepStatusName(s.status));
    out += "- **kind:** " + std::string(stepKindName(s.kind)) + (s.optional ? " (optional)" : "") +
           (s.after.empty() ? "" : "; **after:** " + [&] {
             std::string a;
             for (const auto& x : s.after) a += (a.empty() ? "" : ", ") + mdCode(x.str());
             return a;
           }()) + "\n";
    out += "- **why:** " + mdText(whyText(s, p)) + "\n";
    out += "- **verify:** " + mdText(verifyText(s)) + "\n";
    if (!stateText(s).empty()) out += "- **now:** " + mdText(stateText(s)) + "\n";
    if (s.notBefore) out += "- **not before:** " + formatRfc3339(*s.notBefore) + "\n";
    out += "\n";
    if (!s.changes.empty()) out += mdFence("text", changeTexts(s)) + "\n";
  }
  out += "## After cancellation\n\n";
  for (const auto& l : afterCancellationTexts(p)) out += "- " + mdText(l) + "\n";
  return out;
}

std::string renderPlanHtml(const Plan& p) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>Offboarding runbook: " + h(p.tenant.empty() ? "tenant" : p.tenant) + "</title>\n"
      "<style>\n" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  out += "<h1>Offboarding runbook</h1>\n<p>" + h(header(p)) + "</p>\n";
  out += std::string("<p class=\"evidence") + (p.evidence.live ? "" : " offline") +
         "\"><strong>Evidence:</strong> " + h(evidenceText(p.evidence)) + "</p>\n";
  if (!p.notes.empty()) {
    out += "<h2>Notes</h2>\n<ul>\n";
    for (const auto& n : noteTexts(p)) out += "<li>" + h(n) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>Step graph</h2>\n<div class=\"scroll\">\n" + svgGraph(p) + "</div>\n";
  out += "<h2>Timeline of waits</h2>\n";
  std::string tl = svgTimeline(p);
  bool pendingWaits = false;
  for (const auto& s : p.steps)
    if (s.kind == StepKind::Time && !s.notBefore) pendingWaits = true;
  if (!tl.empty()) out += "<div class=\"scroll\">\n" + tl + "</div>\n";
  if (pendingWaits || tl.empty()) {
    out += "<ul>\n";
    for (const auto& s : p.steps)
      if (s.kind == StepKind::Time && !s.notBefore)
        out += "<li><code>" + h(s.id.str()) + "</code>: " + h(stateText(s)) + "</li>\n";
    if (tl.empty() && !pendingWaits) out += "<li>No waits: no record was changed away from Microsoft 365.</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>Steps</h2>\n<ol class=\"steps\">\n";
  for (const auto& s : p.steps) {
    std::string st(stepStatusName(s.status));
    out += "<li id=\"" + h(s.id.str()) + "\"><span class=\"tag " + st + "\">" + st + "</span> <code>" + h(s.id.str()) +
           "</code> <small>(" + h(std::string(stepKindName(s.kind))) + (s.optional ? ", optional" : "") +
           ")</small>\n<dl>\n";
    if (!s.after.empty()) {
      out += "<dt>after</dt><dd>";
      for (std::size_t i = 0; i < s.after.size(); ++i)
        out += std::string(i ? ", " : "") + "<a href=\"#" + h(s.after[i].str()) + "\"><code>" + h(s.after[i].str()) + "</code></a>";
      out += "</dd>\n";
    }
    out += "<dt>why</dt><dd>" + h(whyText(s, p)) + "</dd>\n<dt>verify</dt><dd>" + h(verifyText(s)) + "</dd>\n";
    if (!stateText(s).empty()) out += "<dt>now</dt><dd>" + h(stateText(s)) + "</dd>\n";
    if (s.notBefore) out += "<dt>not before</dt><dd>" + h(formatRfc3339(*s.notBefore)) + "</dd>\n";
    out += "</dl>\n";
    if (!s.changes.empty()) {
      out += "<pre>";
      for (const auto& r : changeTexts(s)) out += h(r) + "\n";
      out += "</pre>\n";
    }
    out += "</li>\n";
  }
  out += "</ol>\n<h2>After cancellation</h2>\n<ul>\n";
  for (const auto& l : afterCancellationTexts(p)) out += "<li>" + h(l) + "</li>\n";
  out += "</ul>\n<p>Admin center: <a href=\"" + h(p.adminCenter) + "\">" + h(p.adminCenter) + "</a></p>\n";
  return out + "</body>\n</html>\n";
}

std::string renderGateJson(const Plan& p, const GateDecision& d) {
  ojson j;
  j["schema"] = "offboard.gate/1";
  j["ready"] = d.verdict == GateVerdict::Ready;
  j["verdict"] = std::string(gateVerdictName(d.verdict));
  auto items = [&p](const std::vector<GateItem>& v) {
    ojson a = ojson::array();
    for (const auto& i : v) a.push_back({{"id", i.name()}, {"why", gateItemText(i, p)}});
    return a;
  };
  j["open"] = items(d.open);
  ojson waived = ojson::array();
  for (const auto& i : d.waived) {
    ojson o{{"id", i.name()}, {"why", gateItemText(i, p)}};
    if (const PlanStep* s = i.step; s && s->waiver) {
      o["by"] = s->waiver->by;
      o["reason"] = s->waiver->reason;
      o["at"] = formatRfc3339(s->waiver->at);
    }
    waived.push_back(std::move(o));
  }
  j["waived"] = waived;
  j["indeterminate"] = items(d.indeterminate);
  j["done"] = idTexts(d.done);
  j["out_of_order"] = idTexts(d.outOfOrder);  // acknowledged too early: acknowledge again
  j["as_of"] = formatRfc3339(p.now);
  j["evidence"] = evidenceJson(p.evidence);
  return dump(j);
}

std::string renderGateText(const Plan& p, const GateDecision& d, const TextStyle& style) {
  std::string out;
  switch (d.verdict) {
    case GateVerdict::Ready:
      if (p.evidence.live)
        out += paint(style, "1;32", "READY") + ": every step is verified done or waived; cancel in " +
               p.adminCenter + "\n";
      else  // A pass on zone files says what the files say, not what the world resolves.
        out += paint(style, "1;33", "READY") + " (" + rehearsalWarning(p.evidence) +
               "): every step is verified done or waived in the rehearsal; run the gate against live "
               "DNS before cancelling in " + p.adminCenter + "\n";
      break;
    case GateVerdict::Blocked:
      out += paint(style, "1;31", "BLOCKED") + fmt::format(": {} step(s) still open", d.open.size()) +
             (d.indeterminate.empty() ? "" : fmt::format(", {} without evidence", d.indeterminate.size())) + "\n";
      break;
    case GateVerdict::Indeterminate:
      out += paint(style, "1;35", "INDETERMINATE") +
             fmt::format(": {} step(s) could not be verified (missing evidence); nothing definite blocks\n",
                         d.indeterminate.size());
      break;
  }
  out += "Evidence: " + clean(evidenceText(p.evidence)) + "\n";
  out += "as of " + formatRfc3339(p.now) + "\n";
  for (const auto& i : d.open) out += "  " + paint(style, "31", "open") + "           " + clean(i.name()) + ": " + clean(gateItemText(i, p)) + "\n";
  for (const auto& i : d.indeterminate)
    out += "  " + paint(style, "35", "indeterminate") + "  " + clean(i.name()) + ": " + clean(gateItemText(i, p)) + "\n";
  for (const auto& i : d.waived) out += "  " + paint(style, "33", "waived") + "         " + clean(i.name()) + ": " + clean(gateItemText(i, p)) + "\n";
  out += fmt::format("{} done, {} waived, {} open, {} indeterminate\n", d.done.size(), d.waived.size(),
                     d.open.size(), d.indeterminate.size());
  return out;
}

std::string renderGateJunit(const Plan& p, const GateDecision& d) {
  int failures = 0, errors = 0, skipped = 0;
  std::string cases;
  for (const auto& s : p.steps) {
    std::string cls = "offboard.gate." + (s.id.domain ? s.id.domain->toStringNoDot() : std::string("tenant"));
    cases += "    <testcase classname=\"" + escapeXml(cls) + "\" name=\"" + escapeXml(s.id.str()) + "\">";
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
  std::string counts = fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"", p.steps.size(),
                                   failures, errors, skipped);
  auto prop = [](const std::string& name, const std::string& value) {
    return "<property name=\"" + escapeXml(name) + "\" value=\"" + escapeXml(value) + "\"/>";
  };
  const EvidenceInfo& e = p.evidence;
  std::string props = prop("verdict", std::string(gateVerdictName(d.verdict))) +
                      prop("evidence.source", std::string(evidenceSourceName(e.source))) +
                      prop("evidence.servers", join(e.servers, ", ")) +
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
      ojson rule{{"id", action}, {"name", action}};
      if (s) {
        rule["shortDescription"] = {{"text", verifyText(*s)}};
        rule["fullDescription"] = {{"text", whyText(*s, p)}};
        rule["help"] = {{"text", "Verified by: " + verifyText(*s)}};
      }
      rules.push_back(std::move(rule));
    }
    ojson loc;
    if (!artifact.empty()) loc["physicalLocation"] = {{"artifactLocation", {{"uri", artifact}}}};
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
  ojson run;
  run["tool"] = {{"driver", {{"name", "offboard"},
#ifdef OFFBOARD_VERSION
                             {"version", OFFBOARD_VERSION},
#endif
                             {"rules", rules}}}};
  ojson invocation{{"executionSuccessful", true}, {"endTimeUtc", formatRfc3339(p.now)}};
  if (!p.evidence.live)  // a notification about the run itself (SARIF 2.1.0 invocation), not a result
    invocation["toolExecutionNotifications"] = ojson::array(
        {{{"level", "warning"},
          {"descriptor", {{"id", "offline-rehearsal"}}},
          {"message", {{"text", rehearsalWarning(p.evidence) + " (evidence: " + evidenceWhere(p.evidence) + ")"}}}}});
  run["invocations"] = ojson::array({invocation});
  run["results"] = results;
  run["properties"] = {{"verdict", std::string(gateVerdictName(d.verdict))},
                       {"evidence", evidenceJson(p.evidence)}};
  ojson j;
  j["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  j["version"] = "2.1.0";
  j["runs"] = ojson::array({run});
  return dump(j);
}

}  // namespace offboard
