#include "render/plan_render.h"

#include "core/i18n.h"
#include "render/text_wrap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "time/time_text.h"
#include "render/render_common.h"
#include "render/step_text.h"

namespace offboard {
namespace {

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

ojson recordJson(const Record& r, bool ttlKnown = true) {
  ojson o;
  o["name"] = r.name.toString();
  o["type"] = rrTypeName(r.type);
  if (ttlKnown) o["ttl"] = r.ttl;
  o["data"] = r.data;
  return o;
}

// SPEC §4 "changes": the exact record changes of a DNS step, as data a script can apply
// (create, delete, replace with the record replaced as "from"). What is not one record at the
// step's zone (a record of the new provider's choosing, the rest of a zone, the registrar's
// delegation, a wait) is in "records" only, in words.
ojson changesJson(const PlanStep& s) {
  ojson out = ojson::array();
  for (const auto& c : s.changes) {
    ojson o;
    switch (c.op) {
      case RecordChange::Op::Create:
        o = recordJson(c.record);
        o["op"] = "create";
        break;
      case RecordChange::Op::Delete:
        o = recordJson(c.record, c.ttlKnown);
        o["op"] = "delete";
        break;
      case RecordChange::Op::Replace:
        if (!c.to) continue;
        o = recordJson(*c.to);
        o["op"] = "replace";
        o["from"] = recordJson(c.record);
        break;
      default: continue;
    }
    ojson ordered;  // "op" first, as SPEC lists the fields
    ordered["op"] = o["op"];
    for (auto& [k, v] : o.items())
      if (k != "op") ordered[k] = v;
    out.push_back(std::move(ordered));
  }
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
  o["reason"] = std::string(reasonName(s.state.reason));
  o["records"] = changeTexts(s);
  if (s.kind == StepKind::Dns) o["changes"] = changesJson(s);
  for (const auto& c : s.changes)
    if (c.op == RecordChange::Op::PublishPolicy) o["policy"] = {{"url", c.subject}, {"body", c.value}};
  o["gating"] = s.gating;
  if (s.optional) o["optional"] = true;
  if (s.clockStart) o["clock_started"] = formatRfc3339(*s.clockStart);
  if (s.ack)
    o["ack"] = {{"by", s.ack->by}, {"at", formatRfc3339(s.ack->at)}, {"note", s.ack->note}};
  if (s.waiver)
    o["waiver"] = {{"by", s.waiver->by}, {"at", formatRfc3339(s.waiver->at)}, {"reason", s.waiver->reason}};
  return o;
}

std::string header(const Plan& p) {
  const std::string tenant = p.tenant.empty() ? std::string(tr("the tenant")) : p.tenant;
  return trf("{tenant} — cloud {cloud} ({basis}), as of {now}", fmt::arg("tenant", tenant),
             fmt::arg("cloud", cloudName(p.cloud)), fmt::arg("basis", cloudBasisText(p)),
             fmt::arg("now", formatRfc3339(p.now)));
}

// ---- Words and pieces shared by the Markdown and HTML runbooks -----------------------------

// A step's status and kind as a person reads them (JSON keeps SPEC's identifiers).
const char* statusLabel(StepStatus s) {
  switch (s) {
    case StepStatus::Done: return tr("done");
    case StepStatus::Open: return tr("open");
    case StepStatus::Waived: return tr("waived");
    case StepStatus::Indeterminate: return tr("indeterminate");
  }
  return tr("open");
}

const char* kindLabel(StepKind k) {
  switch (k) {
    case StepKind::Manual: return tr("manual");
    case StepKind::Dns: return tr("DNS");
    case StepKind::Time: return tr("wait");
  }
  return tr("manual");
}

// "2 Dec 2026 14:00 UTC" (seconds only when there are any): a time for people; the RFC 3339
// form stays beside it, in a title or datetime attribute, or in the JSON.
std::string readableTime(std::int64_t t) {
  static constexpr const char* kMonths[12] = {N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
                                              N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec")};
  const std::string r = formatRfc3339(t);  // YYYY-MM-DDTHH:MM:SSZ
  if (r.size() != 20) return r;
  const int month = (r[5] - '0') * 10 + (r[6] - '0'), day = (r[8] - '0') * 10 + (r[9] - '0');
  if (month < 1 || month > 12) return r;
  const std::string year = r.substr(0, 4), time = r.substr(11, r.compare(17, 2, "00") == 0 ? 5 : 8);
  return trf("{day} {month} {year} {time} UTC", fmt::arg("day", day), fmt::arg("month", tr(kMonths[month - 1])),
             fmt::arg("year", year), fmt::arg("time", time));
}

// A sentence cut into prose and code. Code is what step_text puts in backticks (`offboard gate`)
// and a command line it names bare ("(offboard ack backup-data --by NAME)"): shown as code in
// both media, so a reader can copy it.
struct Run {
  std::string text;
  bool code = false;
};

bool idChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '.' || c == '_';
}

// The end of a bare "offboard SUBCOMMAND [STEP] [--flag VALUE]…" starting at `at`, or `at` when
// none starts there. Arguments are a step id (ack, waive, revoke), flags and their values
// (upper-case placeholders, ids, "quoted text"); trailing punctuation ends the command.
std::size_t bareCommandEnd(const std::string& s, std::size_t at) {
  static constexpr std::string_view kPrefix = "offboard ";
  if (s.compare(at, kPrefix.size(), kPrefix) != 0) return at;
  if (at > 0 && idChar(s[at - 1])) return at;
  struct Sub {
    std::string_view name;
    int positional;
  };
  static constexpr Sub kSubs[] = {{"ack", 1},   {"waive", 1}, {"revoke", 1},  {"gate", 0},    {"plan", 0},
                                  {"check", 0}, {"scan", 0},  {"status", 0}, {"history", 0}, {"catalogue", 0}};
  // One word: [begin, end) without the punctuation that ends a sentence or a parenthesis.
  auto word = [&](std::size_t b) {
    std::size_t e = b;
    if (e < s.size() && s[e] == '"') {
      std::size_t q = s.find('"', e + 1);
      return q == std::string::npos ? b : q + 1;
    }
    while (e < s.size() && idChar(s[e])) ++e;
    while (e > b && s[e - 1] == '.') --e;  // "…--by NAME." ends the sentence
    return e;
  };
  std::size_t p = at + kPrefix.size();
  std::size_t e = word(p);
  const Sub* sub = nullptr;
  for (const auto& k : kSubs)
    if (s.compare(p, e - p, k.name) == 0 && e - p == k.name.size()) sub = &k;
  if (!sub) return at;
  std::size_t end = e;
  int positional = sub->positional;
  while (end < s.size() && s[end] == ' ') {
    std::size_t b = end + 1, w = word(b);
    if (w == b) break;
    std::string_view tok(s.data() + b, w - b);
    if (tok.size() > 2 && tok.substr(0, 2) == "--") {
      end = w;
      if (end < s.size() && s[end] == ' ') {
        std::size_t vb = end + 1, vw = word(vb);
        if (vw > vb && s[vb] != '-') end = vw;
      }
    } else if (positional > 0 && tok.front() != '-') {
      --positional;
      end = w;
    } else {
      break;
    }
  }
  return end;
}

std::vector<Run> runs(const std::string& s) {
  std::vector<Run> out;
  auto prose = [&](const std::string& t) {
    std::size_t from = 0;
    for (std::size_t at = t.find("offboard "); at != std::string::npos; at = t.find("offboard ", at + 1)) {
      std::size_t end = bareCommandEnd(t, at);
      if (end == at) continue;
      if (at > from) out.push_back({t.substr(from, at - from), false});
      out.push_back({t.substr(at, end - at), true});
      from = end;
      at = end - 1;
    }
    if (from < t.size()) out.push_back({t.substr(from), false});
  };
  // Code spans as CommonMark reads them (§6.1): a run of N backticks up to the next run of
  // exactly N; a run with no match is text.
  auto ticks = [&](std::size_t i) { return std::min(s.find_first_not_of('`', i), s.size()) - i; };
  std::size_t from = 0, at = 0;
  while ((at = s.find('`', at)) != std::string::npos) {
    const std::size_t n = ticks(at);
    std::size_t close = at + n;
    while ((close = s.find('`', close)) != std::string::npos && ticks(close) != n) close += ticks(close);
    if (close == std::string::npos) {
      at += n;
      continue;
    }
    if (at > from) prose(s.substr(from, at - from));
    std::string code = s.substr(at + n, close - at - n);
    if (code.size() >= 2 && code.front() == ' ' && code.back() == ' ' && code.find_first_not_of(' ') != std::string::npos)
      code = code.substr(1, code.size() - 2);
    if (!code.empty()) out.push_back({code, true});
    from = at = close + n;
  }
  if (from < s.size()) prose(s.substr(from));
  return out;
}

// The domains of the plan in the order their first step comes, each with the name shown.
struct DomainGroup {
  DnsName domain;
  std::string shown;
};

std::vector<DomainGroup> domainsOf(const Plan& p) {
  std::vector<DomainGroup> out;
  for (const auto& s : p.steps) {
    if (!s.id.domain) continue;
    bool seen = false;
    for (const auto& d : out) seen = seen || d.domain == *s.id.domain;
    if (!seen) out.push_back({*s.id.domain, s.domainShown.empty() ? s.id.domain->toStringNoDot() : s.domainShown});
  }
  return out;
}

// What a graph node says: a tenant-wide step its id, a domain's step its action (the domain is
// the lane's or the subgraph's title).
std::string nodeLabel(const PlanStep& s) {
  return s.id.domain ? std::string(actionName(s.id.action)) : s.id.str();
}

// The plan's order as indexes into p.steps: `after`, each step's predecessors that are steps of
// the plan, and `drawn`, those of them worth drawing: without the ones another of them implies
// (a → c is left out when a → b → c), so the graph shows the order without a thicket of lines.
struct Edges {
  std::vector<std::vector<std::size_t>> after, drawn;
};

Edges edgesOf(const Plan& p) {
  std::map<StepId, std::size_t> index;
  for (std::size_t i = 0; i < p.steps.size(); ++i) index.emplace(p.steps[i].id, i);
  Edges e;
  e.after.resize(p.steps.size());
  e.drawn.resize(p.steps.size());
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    for (const auto& a : p.steps[i].after)
      if (auto it = index.find(a); it != index.end() && it->second != i &&
                                   std::find(e.after[i].begin(), e.after[i].end(), it->second) == e.after[i].end())
        e.after[i].push_back(it->second);
  std::vector<std::size_t> mark(p.steps.size(), 0), stack;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    // Every strict ancestor of a direct predecessor gets the stamp i + 1.
    const std::size_t stamp = i + 1;
    for (std::size_t d : e.after[i]) stack.push_back(d);
    while (!stack.empty()) {
      const std::size_t n = stack.back();
      stack.pop_back();
      for (std::size_t g : e.after[n])
        if (mark[g] != stamp) {
          mark[g] = stamp;
          stack.push_back(g);
        }
    }
    for (std::size_t d : e.after[i])
      if (mark[d] != stamp) e.drawn[i].push_back(d);
  }
  return e;
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

// A code span (CommonMark §6.1): nothing inside is escaped (a backslash would show), so the
// fence is one backtick longer than any run inside, with a space of padding where the content
// starts or ends with a backtick or a space. Line ends and control octets become spaces.
std::string mdCode(const std::string& s) {
  std::string body;
  std::size_t longest = 0, run = 0;
  for (unsigned char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    body.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  }
  if (body.empty()) return "";
  if (body.front() == '`' || body.back() == '`' || body.front() == ' ' || body.back() == ' ') body = " " + body + " ";
  const std::string fence(longest + 1, '`');
  return fence + body + fence;
}

// A table cell's code span: a `|` would end the cell even inside it (GitHub's tables), so text
// with one is escaped text instead.
std::string mdCell(const std::string& s) { return s.find('|') == std::string::npos ? mdCode(s) : mdText(s); }

// Text from step_text in Markdown: its commands as code spans, the rest escaped.
std::string mdInline(const std::string& s) {
  std::string out;
  for (const auto& r : runs(s)) out += r.code ? mdCode(r.text) : mdText(r.text);
  return out;
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

// Mermaid labels (inside "…"): only characters that cannot end the label or inject markup;
// letters beyond ASCII (a U-label) stay.
std::string mermaidSafe(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    out.push_back(std::isalnum(c) || c >= 0x80 || c == '.' || c == ':' || c == '-' || c == ' ' || c == '(' ||
                          c == ')'
                      ? static_cast<char>(c)
                      : '_');
  return out;
}

// ---- HTML ---------------------------------------------------------------------------------

std::string h(const std::string& s) { return escapeXml(s); }

// Text from step_text in HTML: its commands in <code>, everything escaped.
std::string htmlInline(const std::string& s) {
  std::string out;
  for (const auto& r : runs(s)) out += r.code ? "<code>" + h(r.text) + "</code>" : h(r.text);
  return out;
}

// <time> for people, with the RFC 3339 form for machines and as its tooltip.
std::string htmlTime(std::int64_t t) {
  const std::string rfc = formatRfc3339(t);
  return "<time datetime=\"" + rfc + "\" title=\"" + rfc + "\">" + h(readableTime(t)) + "</time>";
}

const char* statusFill(StepStatus s) {
  switch (s) {
    case StepStatus::Done: return "#d8f0d8";
    case StepStatus::Open: return "#f8d8d8";
    case StepStatus::Waived: return "#f8ecc8";
    case StepStatus::Indeterminate: return "#e8d8f0";
  }
  return "#ffffff";
}

// The SVG figures are laid out for this width (px at 1:1, the page's content width, 72em of
// 14px) and scale down with the page below it (width:100%, viewBox).
constexpr double kFigureWidth = 1000;
constexpr double kFigurePad = 8;
// A lane narrower than this would wrap an action name into more than three lines; more lanes
// than fit become further graphs (bands), each with the tenant-wide lane.
constexpr double kMinLane = 130;
// Advance of one character, for wrapping labels (what the browser draws is measured by
// tests/e2e/test_html_chromium.sh): the monospace labels at 12px (about 0.6em in every common
// monospace font) and the sans-serif small print at 11px (wide fonts such as DejaVu Sans).
constexpr double kMonoChar = 7.4;
constexpr double kSansChar = 7.0;

// UTF-8 characters of s (continuation octets do not count).
std::size_t u8chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// s cut into lines of at most `max` characters: after ':', '.', '/', a '-' (not of "--") or at a
// space where it can, inside a word only when the word alone is longer. Nothing is dropped but
// the spaces at a cut.
std::vector<std::string> wrapLabel(const std::string& s, std::size_t max) {
  max = std::max<std::size_t>(max, 4);
  // Tokens end after a break character or before a space.
  std::vector<std::string> tokens;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ') {
      if (!cur.empty()) tokens.push_back(cur);
      tokens.push_back(" ");
      cur.clear();
      continue;
    }
    cur.push_back(c);
    const bool dash = c == '-' && (i + 1 == s.size() || s[i + 1] != '-') && (i == 0 || s[i - 1] != '-');
    if (c == ':' || c == '.' || c == '/' || dash) {
      tokens.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  std::vector<std::string> lines;
  std::string line;
  auto flush = [&] {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) lines.push_back(line);
    line.clear();
  };
  for (const auto& t : tokens) {
    if (t == " " && line.empty()) continue;
    if (u8chars(line) + u8chars(t) <= max) {
      line += t;
      continue;
    }
    flush();
    if (t == " ") continue;
    std::string rest = t;
    while (u8chars(rest) > max) {  // a word longer than a line: cut between characters
      std::size_t cut = 0, n = 0;
      while (cut < rest.size() && (n < max || (static_cast<unsigned char>(rest[cut]) & 0xC0) == 0x80)) {
        if ((static_cast<unsigned char>(rest[cut]) & 0xC0) != 0x80) ++n;
        ++cut;
      }
      lines.push_back(rest.substr(0, cut));
      rest = rest.substr(cut);
    }
    line = rest;
  }
  flush();
  if (lines.empty()) lines.push_back("");
  return lines;
}

// How many characters of `perChar` advance fit in `width` (at least one).
std::size_t charsFit(double width, double perChar) {
  return width <= perChar ? 1 : static_cast<std::size_t>(width / perChar);
}

// <text> of one or more lines, each a <tspan> at its own x and baseline.
std::string svgLines(const char* cls, double x, double y, double lineHeight, const std::vector<std::string>& lines,
                     const char* anchor = nullptr) {
  std::string out = fmt::format("<text class=\"{}\"{}>", cls, anchor ? fmt::format(" text-anchor=\"{}\"", anchor) : "");
  for (std::size_t i = 0; i < lines.size(); ++i)
    out += fmt::format("<tspan x=\"{:.1f}\" y=\"{:.1f}\">{}</tspan>", x, y + static_cast<double>(i) * lineHeight,
                       h(lines[i]));
  return out + "</text>";
}

// One band of the step graph: the tenant-wide lane (when the plan has tenant-wide steps) and
// the lanes of `domains`, top to bottom. A step's row is below every step it comes after and
// below the previous step of its lane; within a lane an edge that would cross a box runs down
// the lane's right margin.
std::string svgGraphBand(const Plan& p, const Edges& edges,
                         const std::vector<DomainGroup>& domains, bool tenantLane, const std::string& label) {
  const double PAD = kFigurePad, W = kFigureWidth, GAP = 26, LANE_IN = 6, GUTTER = 14, TX = 7;
  const std::size_t nLanes = domains.size() + (tenantLane ? 1 : 0);
  if (nLanes == 0) return "";
  const double laneW = (W - 2 * PAD) / static_cast<double>(nLanes);
  const double boxW = laneW - LANE_IN - GUTTER;
  const std::size_t labelChars = charsFit(boxW - 2 * TX, kMonoChar), smallChars = charsFit(boxW - 2 * TX, kSansChar);
  auto laneOf = [&](const PlanStep& s) -> int {
    if (!s.id.domain) return tenantLane ? 0 : -1;
    for (std::size_t d = 0; d < domains.size(); ++d)
      if (domains[d].domain == *s.id.domain) return static_cast<int>(d + (tenantLane ? 1 : 0));
    return -1;
  };

  // Lane titles.
  std::vector<std::vector<std::string>> heads;
  std::size_t headLines = 1;
  if (tenantLane) heads.push_back(wrapLabel(tr("tenant-wide"), charsFit(laneW - 4 - 2 * TX, kMonoChar)));
  for (const auto& d : domains) heads.push_back(wrapLabel(d.shown, charsFit(laneW - 4 - 2 * TX, kMonoChar)));
  for (const auto& hl : heads) headLines = std::max(headLines, hl.size());
  const double headTop = PAD, headH = 10 + 15 * static_cast<double>(headLines);

  // Nodes: lane, row, the lines they show and their height.
  struct Node {
    std::size_t step = 0;
    int lane = 0;
    std::size_t row = 0;
    std::vector<std::string> label, small;
    double x = 0, y = 0, hgt = 0;
  };
  std::vector<Node> nodes;
  std::vector<int> nodeOf(p.steps.size(), -1);
  std::vector<std::size_t> laneNext(nLanes, 0);
  std::vector<std::vector<std::size_t>> laneRows(nLanes);  // rows used, per lane
  std::size_t rows = 0;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const PlanStep& s = p.steps[i];
    int lane = laneOf(s);
    if (lane < 0) continue;
    Node n;
    n.step = i;
    n.lane = lane;
    std::size_t row = laneNext[static_cast<std::size_t>(lane)];
    for (std::size_t a : edges.after[i])
      if (nodeOf[a] >= 0) row = std::max(row, nodes[static_cast<std::size_t>(nodeOf[a])].row + 1);
    n.row = row;
    laneNext[static_cast<std::size_t>(lane)] = row + 1;
    laneRows[static_cast<std::size_t>(lane)].push_back(row);
    rows = std::max(rows, row + 1);
    n.label = wrapLabel(nodeLabel(s), labelChars);
    std::string small = std::string(statusLabel(s.status)) + " · " + kindLabel(s.kind);
    if (s.optional) small += std::string(" · ") + tr("optional");
    n.small = wrapLabel(small, smallChars);
    // 12px lines 15 apart from 18 below the top, then the 11px lines 14 apart, 7 of margin.
    n.hgt = 18 + 15 * static_cast<double>(n.label.size() - 1) + 14 * static_cast<double>(n.small.size()) + 7;
    nodeOf[i] = static_cast<int>(nodes.size());
    nodes.push_back(std::move(n));
  }
  if (nodes.empty()) return "";
  std::vector<double> rowH(rows, 0), rowY(rows, 0);
  for (const auto& n : nodes) rowH[n.row] = std::max(rowH[n.row], n.hgt);
  double y = headTop + headH + GAP;
  for (std::size_t r = 0; r < rows; ++r) {
    rowY[r] = y;
    y += rowH[r] + (rowH[r] > 0 ? GAP : 0);
  }
  const double height = y - GAP + PAD + 4;
  for (auto& n : nodes) {
    n.x = PAD + static_cast<double>(n.lane) * laneW + LANE_IN;
    n.y = rowY[n.row];
  }

  std::string out = fmt::format(
      "<svg class=\"graph\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" "
      "aria-label=\"{}\">\n",
      W, height, W, height, h(label));
  // Lanes: a band each, alternately shaded, titled at the top.
  for (std::size_t l = 0; l < nLanes; ++l) {
    const double lx = PAD + static_cast<double>(l) * laneW;
    out += fmt::format("<rect class=\"lane{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>\n",
                       l % 2 ? " alt" : "", lx, headTop, laneW, height - headTop - PAD);
    out += fmt::format("<g class=\"lane-head\"><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" rx=\"4\"/>",
                       lx + 2, headTop, laneW - 4, headH);
    out += svgLines("lane", lx + 2 + TX, headTop + 18, 15, heads[l]) + "</g>\n";
  }
  // Edges, under the boxes.
  for (const auto& n : nodes) {
    const double tx = n.x + boxW / 2, ty = n.y;
    for (std::size_t a : edges.drawn[n.step]) {
      if (nodeOf[a] < 0) continue;
      const Node& m = nodes[static_cast<std::size_t>(nodeOf[a])];
      const double sx = m.x + boxW / 2, sy = m.y + m.hgt;
      bool between = false;  // a box of the same lane between the two
      if (m.lane == n.lane)
        for (std::size_t r : laneRows[static_cast<std::size_t>(n.lane)]) between = between || (r > m.row && r < n.row);
      if (m.lane == n.lane && between) {
        const double right = n.x + boxW, gx = right + GUTTER / 2, my = m.y + m.hgt / 2, ny = n.y + n.hgt / 2;
        out += fmt::format("<path class=\"edge\" d=\"M{:.1f} {:.1f} H{:.1f} V{:.1f} H{:.1f}\"/>", right, my, gx, ny,
                           right + 6);
        out += fmt::format("<path class=\"arrow\" d=\"M{:.1f} {:.1f} l7 -4 v8 z\"/>\n", right, ny);
      } else {
        // Between lanes the line keeps to the gaps between rows and, past a row, to the margin
        // between lanes on the source's side of the target's lane: it never crosses a box.
        const double end = ty - 6, above = n.y - GAP / 2;
        if (m.lane == n.lane) {
          out += fmt::format("<path class=\"edge\" d=\"M{:.1f} {:.1f} V{:.1f}\"/>", sx, sy, end);
        } else if (m.row + 1 == n.row) {
          out += fmt::format("<path class=\"edge\" d=\"M{:.1f} {:.1f} V{:.1f} H{:.1f} V{:.1f}\"/>", sx, sy, above, tx, end);
        } else {
          const double below = rowY[m.row] + rowH[m.row] + GAP / 2;
          const double laneX = PAD + static_cast<double>(n.lane) * laneW;
          const double channel = m.lane > n.lane ? laneX + laneW + 3 : laneX + 3;
          out += fmt::format("<path class=\"edge\" d=\"M{:.1f} {:.1f} V{:.1f} H{:.1f} V{:.1f} H{:.1f} V{:.1f}\"/>", sx, sy,
                             below, channel, above, tx, end);
        }
        out += fmt::format("<path class=\"arrow\" d=\"M{:.1f} {:.1f} l-4 -7 h8 z\"/>\n", tx, ty);
      }
    }
  }
  // Boxes: the label whole (wrapped), status and kind below it, the step's state as tooltip.
  for (const auto& n : nodes) {
    const PlanStep& s = p.steps[n.step];
    const std::string st(stepStatusName(s.status));
    out += fmt::format(
        "<g class=\"node\" data-step-id=\"{}\"><title>{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
        "height=\"{:.1f}\" rx=\"6\" fill=\"{}\" class=\"box {}{}\"/>",
        h(s.id.str()), h(s.id.str() + " — " + statusLabel(s.status) + ": " + stateText(s)), n.x, n.y, boxW, n.hgt,
        statusFill(s.status), st, s.gating ? "" : " soft");
    out += svgLines("id", n.x + TX, n.y + 18, 15, n.label);
    out += svgLines("st", n.x + TX, n.y + 18 + 15 * static_cast<double>(n.label.size() - 1) + 14, 14, n.small);
    out += "</g>\n";
  }
  return out + "</svg>\n";
}

// The step graph: one band when every lane is at least kMinLane wide, else bands of domains of
// (nearly) equal size, each with the tenant-wide lane, captioned with the domains they show.
std::string svgGraph(const Plan& p) {
  const Edges edges = edgesOf(p);
  const auto domains = domainsOf(p);
  bool tenantLane = false;
  for (const auto& s : p.steps) tenantLane = tenantLane || !s.id.domain;
  const std::size_t fit = static_cast<std::size_t>((kFigureWidth - 2 * kFigurePad) / kMinLane);
  const std::size_t perBand = std::max<std::size_t>(1, fit - (tenantLane ? 1 : 0));
  const std::size_t bands = domains.empty() ? 1 : (domains.size() + perBand - 1) / perBand;
  std::string out;
  for (std::size_t b = 0; b < bands; ++b) {
    const std::size_t from = domains.size() * b / bands, to = domains.size() * (b + 1) / bands;
    std::vector<DomainGroup> part(domains.begin() + static_cast<std::ptrdiff_t>(from),
                                  domains.begin() + static_cast<std::ptrdiff_t>(to));
    std::string label = tr("Step graph");
    if (bands > 1) {
      label = trf("Step graph, domains {first}–{last} of {count}", fmt::arg("first", from + 1), fmt::arg("last", to),
                  fmt::arg("count", domains.size()));
      out += "<p class=\"band\">" + h(trf("Domains {first}–{last} of {count}", fmt::arg("first", from + 1),
                                          fmt::arg("last", to), fmt::arg("count", domains.size()))) +
             "</p>\n";
    }
    out += svgGraphBand(p, edges, part, tenantLane, label);
  }
  return out;
}

// The waits whose end is known, one row each: its id, a bar from the clock's start to the
// earliest end on a shared axis, and that end; a dashed line marks now.
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
  const double W = kFigureWidth, PAD = kFigurePad, LABEL = 290, RIGHT = 190, TOP = 40;
  const double x0 = PAD + LABEL + 12, x1 = W - PAD - RIGHT;
  auto x = [&](std::int64_t t) {
    return x0 + (static_cast<double>(t - lo) / static_cast<double>(hi - lo)) * (x1 - x0);
  };
  const std::size_t labelChars = charsFit(LABEL, kMonoChar);
  std::vector<std::vector<std::string>> labels;
  std::vector<double> rowY;
  double y = TOP;
  for (const PlanStep* w : waits) {
    labels.push_back(wrapLabel(w->id.str(), labelChars));
    rowY.push_back(y);
    y += std::max(28.0, 15 * static_cast<double>(labels.back().size()) + 10);
  }
  const double height = y + 28;
  auto timeText = [&](double tx, double ty, std::int64_t t, const std::string& text, const char* anchor) {
    return fmt::format("<g><title>{}</title>{}</g>", formatRfc3339(t), svgLines("tick", tx, ty, 14, {text}, anchor));
  };
  std::string out = fmt::format(
      "<svg class=\"timeline\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" "
      "aria-label=\"{}\">\n",
      W, height, W, height, h(tr("Timeline of waits")));
  out += fmt::format("<line class=\"axis\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n", x0, TOP - 10, x1,
                     TOP - 10);
  out += timeText(x0, TOP - 18, lo, readableTime(lo), nullptr) + "\n";
  out += timeText(x1, TOP - 18, hi, readableTime(hi), "end") + "\n";
  for (std::size_t i = 0; i < waits.size(); ++i) {
    const PlanStep* w = waits[i];
    const std::int64_t start = w->clockStart.value_or(*w->notBefore);
    const double ry = rowY[i];
    out += svgLines("label", PAD, ry + 14, 15, labels[i]);
    out += fmt::format(
        "<g><title>{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"18\" rx=\"3\" fill=\"{}\" "
        "class=\"bar\"/></g>",
        h(w->id.str() + ": " + formatRfc3339(start) + " → " + formatRfc3339(*w->notBefore)), x(start), ry + 1,
        std::max(2.0, x(*w->notBefore) - x(start)), statusFill(w->status));
    out += timeText(x1 + 10, ry + 14, *w->notBefore, readableTime(*w->notBefore), nullptr) + "\n";
  }
  const double nx = x(p.now);
  out += fmt::format("<line class=\"now\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>", nx, TOP - 10, nx,
                     height - 22);
  // The label of now sits on the side of the line where it has room.
  const bool left = nx > (x0 + x1) / 2;
  out += timeText(left ? nx - 4 : nx + 4, height - 8, p.now, trf("now: {time}", fmt::arg("time", readableTime(p.now))),
                  left ? "end" : nullptr) +
         "\n";
  return out + "</svg>\n";
}

constexpr const char* kCss = R"(.evidence.offline{background:#f8ecc8;border-left:4px solid #c90;padding:.3em .6em}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222;overflow-wrap:break-word}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.figure svg{display:block;width:100%;max-width:1000px;height:auto;margin:.5em 0 1em}
p.band{margin:1em 0 0;font-weight:600}
svg text{font:12px system-ui,sans-serif;fill:#222}
svg text.id,svg text.lane,svg text.label{font:600 12px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace}
svg text.st,svg text.tick{font-size:11px;fill:#444}
svg rect.lane{fill:#fafafa}svg rect.lane.alt{fill:#f1f3f6}svg .lane-head rect{fill:#e4e8ee}
svg .edge{fill:none;stroke:#888;stroke-width:1.2}svg .arrow{fill:#888}
svg .box{stroke:#666}svg .box.soft{stroke-dasharray:4 3}
svg .axis{stroke:#999}svg .now{stroke:#c00;stroke-dasharray:3 3}svg .bar{stroke:#666}
ol.steps>li{margin:0 0 1.2em}.tag{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em;font-weight:600}
.done{background:#d8f0d8}.open{background:#f8d8d8}.waived{background:#f8ecc8}.indeterminate{background:#e8d8f0}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}code{overflow-wrap:anywhere}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}
dl{margin:.3em 0}dt{font-weight:600;float:left;clear:left;width:7em}dd{margin-left:7.5em}
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
  return dumpJson(j);
}

std::string renderPlanText(const Plan& p, const TextStyle& style) {
  const std::size_t w = style.width;
  std::string out = wrapLine(paint(style, "1", tr("Offboarding runbook")) + ": ", clean(header(p)), w, 2);
  out += wrapLine(std::string(tr("Evidence:")) + " ", clean(evidenceText(p.evidence)), w, 2);
  for (const auto& n : noteTexts(p)) out += wrapLine(std::string(tr("note:")) + " ", clean(n), w, 6);

  const PlanSummary sum = summarize(p);
  out += "\n" + paint(style, "1", tr("Summary")) + "\n";
  if (sum.pointing.empty())
    out += wrapLine("  ", tr("No domain points at Microsoft 365 any more."), w, 4);
  for (const auto& [domain, actions] : sum.pointing)
    out += wrapLine("  ", trf("{domain} still points at Microsoft 365: {steps}", fmt::arg("domain", clean(domain)),
                              fmt::arg("steps", joinWith(actions, ", "))),
                    w, 4);
  if (sum.now.empty()) {
    out += wrapLine("  ", tr("Nothing can be done now: every open step waits for another or for time."), w, 4);
  } else {
    out += wrapLine("  ", trnf("Can be done now ({n} step):", "Can be done now ({n} steps):", sum.now.size(),
                               fmt::arg("n", sum.now.size())),
                    w, 4);
    for (const PlanStep* s : sum.now) out += wrapLine("    - ", clean(s->id.str()) + "  " + clean(nextAction(*s)), w, 8);
  }
  out += wrapLine("  ", gatePassText(p, sum), w, 4);

  out += "\n" + paint(style, "1", tr("Steps")) + "\n";
  int i = 0;
  for (const auto& s : p.steps) {
    std::string tag = "[" + std::string(stepStatusName(s.status)) + "]";
    std::string head = fmt::format("{:>3}. {} {}", ++i, paint(style, statusColor(s.status), tag),
                                   paint(style, "1", clean(s.id.str())));
    if (!style.verbose) {
      std::string now = stateText(s);
      if (s.notBefore && s.status != StepStatus::Done)
        now = trf("not before {at}", fmt::arg("at", formatRfc3339(*s.notBefore)));
      out += wrapLine(head + (now.empty() ? "" : "  "), clean(now), w, 7);
      continue;
    }
    std::string facts = std::string(stepKindName(s.kind));
    if (!s.after.empty()) facts += ", " + trf("after: {steps}", fmt::arg("steps", clean(joinWith(idTexts(s.after), ", "))));
    if (s.optional) facts += std::string(", ") + tr("optional");
    out += wrapLine(head + "  ", "(" + facts + ")", w, 7);
    const std::string why = tr("why:"), verify = tr("verify:"), now = tr("now:");
    const std::size_t label = std::max({displayWidth(why), displayWidth(verify), displayWidth(now)}) + 1;
    auto field = [&](const std::string& name, const std::string& text) {
      std::string first = "       " + name + std::string(label - displayWidth(name), ' ');
      out += wrapLine(first, clean(text), w, 7 + label);
    };
    field(why, whyText(s, p));
    field(verify, verifyText(s));
    if (!stateText(s).empty()) field(now, stateText(s));
    if (s.notBefore) out += "       " + trf("not before: {at}", fmt::arg("at", formatRfc3339(*s.notBefore))) + "\n";
    for (const auto& r : changeTexts(s)) out += wrapLine("         ", clean(r), w, 11);
  }
  if (!style.verbose) out += "\n" + wrapLine("", tr("Each step's why, verification and records: offboard plan --verbose"), w, 0);
  out += "\n" + std::string(tr("After cancellation:")) + "\n";
  for (const auto& l : afterCancellationTexts(p)) out += wrapLine("  - ", clean(l), w, 4);
  return out;
}

std::string renderPlanMarkdown(const Plan& p) {
  std::string out = "# " + mdText(tr("Offboarding runbook")) + "\n\n" + mdText(header(p)) + "\n\n";
  out += "**" + mdText(tr("Evidence:")) + "** " + mdText(evidenceText(p.evidence)) + "\n\n";
  if (!p.notes.empty()) {
    out += "## " + mdText(tr("Notes")) + "\n\n";
    for (const auto& n : noteTexts(p)) out += "- " + mdInline(n) + "\n";
    out += "\n";
  }

  // The graph top-down: tenant-wide steps on their own, each domain's in its subgraph.
  out += "## " + mdText(tr("Step graph")) + "\n\n```mermaid\nflowchart TD\n";
  auto node = [](std::size_t i) { return "s" + std::to_string(i); };
  auto nodeLine = [&](std::size_t i, const char* indent) {
    const PlanStep& s = p.steps[i];
    return std::string(indent) + node(i) + "[\"" + mermaidSafe(nodeLabel(s) + " - " + statusLabel(s.status)) +
           "\"]:::" + std::string(stepStatusName(s.status)) + "\n";
  };
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    if (!p.steps[i].id.domain) out += nodeLine(i, "  ");
  const auto domains = domainsOf(p);
  for (std::size_t d = 0; d < domains.size(); ++d) {
    out += "  subgraph d" + std::to_string(d) + " [\"" + mermaidSafe(domains[d].shown) + "\"]\n    direction TB\n";
    for (std::size_t i = 0; i < p.steps.size(); ++i)
      if (p.steps[i].id.domain && *p.steps[i].id.domain == domains[d].domain) out += nodeLine(i, "    ");
    out += "  end\n";
  }
  const Edges edges = edgesOf(p);
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    for (std::size_t a : edges.drawn[i]) out += "  " + node(a) + " --> " + node(i) + "\n";
  out += "  classDef done fill:#d8f0d8\n  classDef open fill:#f8d8d8\n"
         "  classDef waived fill:#f8ecc8\n  classDef indeterminate fill:#e8d8f0\n```\n\n";

  // Tables hold short cells only (an id, a status, a time); what a step says is below them.
  out += "## " + mdText(tr("Timeline of waits")) + "\n\n";
  bool any = false;
  for (const auto& s : p.steps) {
    if (s.kind != StepKind::Time) continue;
    if (!any)
      out += "| " + mdText(tr("wait")) + " | " + mdText(tr("clock started")) + " | " + mdText(tr("not before")) +
             " | " + mdText(tr("status")) + " |\n|---|---|---|---|\n";
    any = true;
    out += "| " + mdCell(s.id.str()) + " | " + (s.clockStart ? mdText(readableTime(*s.clockStart)) : "—") + " | " +
           (s.notBefore ? mdText(readableTime(*s.notBefore)) : mdText(tr("not yet known"))) + " | " +
           mdText(statusLabel(s.status)) + " |\n";
  }
  if (!any) out += mdText(tr("No waits: no record was changed away from Microsoft 365.")) + "\n";

  out += "\n## " + mdText(tr("Steps")) + "\n\n";
  out += "| # | " + mdText(tr("step")) + " | " + mdText(tr("kind")) + " | " + mdText(tr("status")) +
         " |\n|---|---|---|---|\n";
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const PlanStep& s = p.steps[i];
    out += "| " + std::to_string(i + 1) + " | " + mdCell(s.id.str()) + " | " + mdText(kindLabel(s.kind)) +
           (s.optional ? ", " + mdText(tr("optional")) : "") + " | " + mdText(statusLabel(s.status)) + " |\n";
  }
  out += "\n";
  auto field = [](const char* name, const std::string& md) { return "- **" + mdText(name) + "** " + md + "\n"; };
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const PlanStep& s = p.steps[i];
    out += "### " + std::to_string(i + 1) + ". " + mdCode(s.id.str()) + " — " + mdText(statusLabel(s.status)) + "\n\n";
    std::string kind = mdText(kindLabel(s.kind)) + (s.optional ? " (" + mdText(tr("optional")) + ")" : "");
    if (!s.after.empty()) {
      std::string a;
      for (const auto& x : s.after) a += (a.empty() ? "" : ", ") + mdCode(x.str());
      kind += "; **" + mdText(tr("after:")) + "** " + a;
    }
    out += field(tr("kind:"), kind);
    out += field(tr("why:"), mdInline(whyText(s, p)));
    out += field(tr("verify:"), mdInline(verifyText(s)));
    if (const std::string now = stateText(s); !now.empty()) out += field(tr("now:"), mdInline(now));
    if (s.notBefore)
      out += field(tr("not before:"), mdText(readableTime(*s.notBefore)) + " (" + mdCode(formatRfc3339(*s.notBefore)) + ")");
    out += "\n";
    if (!s.changes.empty()) out += mdFence("text", changeTexts(s)) + "\n";
  }
  out += "## " + mdText(tr("After cancellation")) + "\n\n";
  for (const auto& l : afterCancellationTexts(p)) out += "- " + mdInline(l) + "\n";
  return out;
}

std::string renderPlanHtml(const Plan& p) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"" + std::string(langName(language())) +
                    "\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                    h(trf("Offboarding runbook: {tenant}",
                          fmt::arg("tenant", p.tenant.empty() ? std::string(tr("tenant")) : p.tenant))) +
                    "</title>\n<style>\n" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  out += "<h1>" + h(tr("Offboarding runbook")) + "</h1>\n<p>" + h(header(p)) + "</p>\n";
  out += std::string("<p class=\"evidence") + (p.evidence.live ? "" : " offline") + "\"><strong>" + h(tr("Evidence:")) +
         "</strong> " + h(evidenceText(p.evidence)) + "</p>\n";
  if (!p.notes.empty()) {
    out += "<h2>" + h(tr("Notes")) + "</h2>\n<ul>\n";
    for (const auto& n : noteTexts(p)) out += "<li>" + htmlInline(n) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>" + h(tr("Step graph")) + "</h2>\n<div class=\"figure\">\n" + svgGraph(p) + "</div>\n";
  out += "<h2>" + h(tr("Timeline of waits")) + "</h2>\n";
  std::string tl = svgTimeline(p);
  bool pendingWaits = false;
  for (const auto& s : p.steps)
    if (s.kind == StepKind::Time && !s.notBefore) pendingWaits = true;
  if (!tl.empty()) out += "<div class=\"figure\">\n" + tl + "</div>\n";
  if (pendingWaits || tl.empty()) {
    out += "<ul>\n";
    for (const auto& s : p.steps)
      if (s.kind == StepKind::Time && !s.notBefore)
        out += "<li><code>" + h(s.id.str()) + "</code>: " + htmlInline(stateText(s)) + "</li>\n";
    if (tl.empty() && !pendingWaits)
      out += "<li>" + h(tr("No waits: no record was changed away from Microsoft 365.")) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>" + h(tr("Steps")) + "</h2>\n<ol class=\"steps\">\n";
  for (const auto& s : p.steps) {
    const std::string st(stepStatusName(s.status));
    out += "<li id=\"" + h(s.id.str()) + "\"><span class=\"tag " + st + "\">" + h(statusLabel(s.status)) +
           "</span> <code>" + h(s.id.str()) + "</code> <small>(" + h(kindLabel(s.kind)) +
           (s.optional ? ", " + h(tr("optional")) : "") + ")</small>\n<dl>\n";
    auto field = [&](const char* name, const std::string& html) {
      out += "<dt>" + h(name) + "</dt><dd>" + html + "</dd>\n";
    };
    if (!s.after.empty()) {
      std::string a;
      for (std::size_t i = 0; i < s.after.size(); ++i)
        a += std::string(i ? ", " : "") + "<a href=\"#" + h(s.after[i].str()) + "\"><code>" + h(s.after[i].str()) +
             "</code></a>";
      field(tr("after:"), a);
    }
    field(tr("why:"), htmlInline(whyText(s, p)));
    field(tr("verify:"), htmlInline(verifyText(s)));
    if (const std::string now = stateText(s); !now.empty()) field(tr("now:"), htmlInline(now));
    if (s.notBefore) field(tr("not before:"), htmlTime(*s.notBefore));
    out += "</dl>\n";
    if (!s.changes.empty()) {
      out += "<pre>";
      for (const auto& r : changeTexts(s)) out += h(r) + "\n";
      out += "</pre>\n";
    }
    out += "</li>\n";
  }
  out += "</ol>\n<h2>" + h(tr("After cancellation")) + "</h2>\n<ul>\n";
  for (const auto& l : afterCancellationTexts(p)) out += "<li>" + htmlInline(l) + "</li>\n";
  out += "</ul>\n<p>" + h(tr("Admin center:")) + " <a href=\"" + h(p.adminCenter) + "\">" + h(p.adminCenter) +
         "</a></p>\n";
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
  return dumpJson(j);
}

std::string renderGateText(const Plan& p, const GateDecision& d, const TextStyle& style) {
  const std::size_t w = style.width;
  std::string out;
  switch (d.verdict) {
    case GateVerdict::Ready:
      if (p.evidence.live)
        out += wrapLine(paint(style, "1;32", "READY") + ": ",
                        trf("every step is verified done or waived; cancel in {url}", fmt::arg("url", p.adminCenter)), w, 2);
      else  // A pass on zone files says what the files say, not what the world resolves.
        out += wrapLine(paint(style, "1;33", "READY") + " ",
                        trf("({warning}): every step is verified done or waived in the rehearsal; run the gate "
                            "against live DNS before cancelling in {url}",
                            fmt::arg("warning", rehearsalWarning(p.evidence)), fmt::arg("url", p.adminCenter)),
                        w, 2);
      break;
    case GateVerdict::Blocked: {
      std::string text = trnf("{n} step still open", "{n} steps still open", d.open.size(), fmt::arg("n", d.open.size()));
      if (!d.indeterminate.empty())
        text += ", " + trnf("{n} without evidence", "{n} without evidence", d.indeterminate.size(),
                            fmt::arg("n", d.indeterminate.size()));
      out += wrapLine(paint(style, "1;31", "BLOCKED") + ": ", text, w, 2);
      break;
    }
    case GateVerdict::Indeterminate:
      out += wrapLine(paint(style, "1;35", "INDETERMINATE") + ": ",
                      trnf("{n} step could not be verified (missing evidence); nothing definite blocks",
                           "{n} steps could not be verified (missing evidence); nothing definite blocks",
                           d.indeterminate.size(), fmt::arg("n", d.indeterminate.size())),
                      w, 2);
      break;
  }
  out += wrapLine(std::string(tr("Evidence:")) + " ", clean(evidenceText(p.evidence)), w, 2);
  out += trf("as of {now}", fmt::arg("now", formatRfc3339(p.now))) + "\n";
  if (d.verdict != GateVerdict::Ready) {
    const PlanSummary sum = summarize(p);
    out += wrapLine("", gatePassText(p, sum), w, 2);
  }
  // Open steps that can be worked on now, each with why; those waiting for another step, together.
  std::vector<const GateItem*> waiting;
  const std::string openTag = paint(style, "31", fmt::format("{:<14}", "open"));
  for (const auto& i : d.open) {
    if (i.step && i.step->kind != StepKind::Time && !canStartNow(*i.step, p)) {
      waiting.push_back(&i);
      continue;
    }
    out += wrapLine("  " + openTag + " " + clean(i.name()) + ": ", clean(gateItemText(i, p)), w, 19);
  }
  for (const auto& i : d.indeterminate)
    out += wrapLine("  " + paint(style, "35", fmt::format("{:<14}", "indeterminate")) + " " + clean(i.name()) + ": ",
                    clean(gateItemText(i, p)), w, 19);
  for (const auto& i : d.waived)
    out += wrapLine("  " + paint(style, "33", fmt::format("{:<14}", "waived")) + " " + clean(i.name()) + ": ",
                    clean(gateItemText(i, p)), w, 19);
  if (!waiting.empty()) {
    std::string ids;
    for (const GateItem* i : waiting) ids += (ids.empty() ? "" : ", ") + clean(i->name());
    out += wrapLine("  ", trnf("Cannot start yet ({n} step, each waiting for an earlier one):",
                               "Cannot start yet ({n} steps, each waiting for an earlier one):", waiting.size(),
                               fmt::arg("n", waiting.size())),
                    w, 4);
    out += wrapLine("    ", ids, w, 4);
  }
  out += trf("{done} done, {waived} waived, {open} open, {indeterminate} indeterminate", fmt::arg("done", d.done.size()),
             fmt::arg("waived", d.waived.size()), fmt::arg("open", d.open.size()),
             fmt::arg("indeterminate", d.indeterminate.size())) +
         "\n";
  return out;
}

}  // namespace offboard
