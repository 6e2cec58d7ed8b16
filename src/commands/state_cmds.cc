// `offboard ack`, `waive`, `status` and `history`: the state's writers and readers.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands/plan_commands.h"
#include "core/i18n.h"
#include "gate/gate.h"
#include "state/observe.h"
#include "plan/steps.h"
#include "time/time_text.h"
#include "render/plan_render.h"
#include "render/step_text.h"

namespace offboard {
namespace {

using ojson = nlohmann::ordered_json;

std::string clean(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Who, a note, a reason: printable text of bounded length (they end up in terminals and HTML).
bool checkText(const char* flag, const std::string& value, std::size_t max, bool required,
               std::string* error) {
  if (required && trim(value).empty()) {
    *error = trf("{flag} is required and must not be blank", fmt::arg("flag", flag));
    return false;
  }
  if (value.size() > max) {
    *error = trf("{flag} is longer than {max} characters", fmt::arg("flag", flag), fmt::arg("max", max));
    return false;
  }
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) {
      *error = trf("{flag} contains a control character", fmt::arg("flag", flag));
      return false;
    }
  return true;
}

std::optional<ParsedStep> validStep(const char* cmd, const std::string& step, Io& io) {
  std::string err;
  auto id = parseStepId(step, &err);
  if (!id) io.err << "offboard " << cmd << ": " << err;
  return id;
}

// Up to three of `known` nearest to `id`, nearest first.
std::vector<std::string> nearest(const std::string& id, const std::vector<std::string>& known) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& k : known) scored.emplace_back(editDistance(id, k), k);
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  return out;
}

// SPEC §4: ack, waive and revoke accept only the step ids of the tenant's plan, which every
// plan and gate run keeps in the state. 0 when `id` is one of them, else the exit code after
// printing why (2: unknown, or no plan made with this state yet; 4: storage).
int checkInPlan(const char* cmd, const ParsedStep& step, StateStore& store, Io& io) {
  const std::string id = step.step.str();
  auto known = store.planSteps();
  if (!known) return reportFailure(cmd, known.status(), io);
  if (known->empty()) {
    io.err << "offboard " << cmd << ": "
           << trf("no plan has been made with state file {file} yet, so offboard does not know this tenant's "
                  "steps: run `offboard plan` (or `gate`) for the tenant with this --state first",
                  fmt::arg("file", store.path()))
           << "\n";
    return kExitUsage;
  }
  // Compared as steps, not as text: the stored ids are read back as StepIds.
  if (std::any_of(known->begin(), known->end(), [&](const std::string& k) { return StepId::parse(k) == step.step; }))
    return kExitOk;
  io.err << "offboard " << cmd << ": "
         << trf("step {step} is not in this tenant's plan (state file {file}); the nearest steps of the plan are:",
                fmt::arg("step", clean(id)), fmt::arg("file", store.path()))
         << "\n";
  for (const auto& n : nearest(id, *known)) io.err << "  " << n << "\n";
  return kExitUsage;
}

bool fileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

int statusSummary(const StatusOptions& o, const StateSnapshot& s, Io& io) {
  // The latest row of each domain+subject is its current value.
  std::map<std::pair<std::string, std::string>, const ObservationRow*> latest;
  std::map<std::pair<std::string, std::string>, std::int64_t> firstSeen;
  for (const auto& row : s.observations) {
    auto key = std::make_pair(row.domain, row.subject);
    auto it = latest.find(key);
    if (it == latest.end() || it->second->value != row.value || it->second->atM365 != row.atM365 ||
        it->second->evidence != row.evidence)
      firstSeen[key] = row.at;
    latest[key] = &row;
  }
  if (o.format == "json") {
    ojson j;
    j["schema"] = "offboard.status/1";
    j["state"] = o.state;
    j["acks"] = ojson::array();
    for (const auto& a : s.acks)
      j["acks"].push_back({{"step", a.step}, {"by", a.by}, {"note", a.note}, {"at", formatRfc3339(a.at)}});
    j["waivers"] = ojson::array();
    for (const auto& w : s.waivers)
      j["waivers"].push_back({{"step", w.step}, {"by", w.by}, {"reason", w.reason}, {"at", formatRfc3339(w.at)}});
    j["subjects"] = ojson::array();
    for (const auto& [key, row] : latest) {
      if (isZoneSubjectKey(row->subject)) continue;
      j["subjects"].push_back({{"domain", row->domain}, {"subject", row->subject}, {"value", row->value},
                               {"at_m365", row->atM365}, {"evidence", row->evidence}, {"ttl", row->ttl},
                               {"since", formatRfc3339(firstSeen[key])},
                               {"last_seen", formatRfc3339(std::max(row->lastSeen, row->at))}});
    }
    io.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  io.out << trf("state {file}", fmt::arg("file", clean(o.state))) << "\n";
  io.out << trf("acknowledgements ({n}):", fmt::arg("n", s.acks.size())) << "\n";
  for (const auto& a : s.acks)
    io.out << "  " << formatRfc3339(a.at) << "  " << clean(a.step) << "  " << trf("by {who}", fmt::arg("who", clean(a.by)))
           << (a.note.empty() ? "" : "  (" + clean(a.note) + ")") << "\n";
  io.out << trf("waivers ({n}):", fmt::arg("n", s.waivers.size())) << "\n";
  for (const auto& w : s.waivers)
    io.out << "  " << formatRfc3339(w.at) << "  " << clean(w.step) << "  " << trf("by {who}", fmt::arg("who", clean(w.by)))
           << ": " << clean(w.reason) << "\n";
  io.out << tr("latest observations:") << "\n";
  std::string domain;
  for (const auto& [key, row] : latest) {
    if (isZoneSubjectKey(row->subject)) continue;
    if (row->domain != domain) io.out << "  " << clean(row->domain) << "\n";
    domain = row->domain;
    std::string tag = !row->evidence ? tr("no evidence") : row->atM365 ? tr("at Microsoft 365") : tr("ok");
    io.out << "    " << clean(row->subject) << "  " << clean(row->value) << "  [" << tag << "] "
           << trf("since {at}", fmt::arg("at", formatRfc3339(firstSeen[key]))) << "\n";
  }
  return kExitOk;
}

}  // namespace

namespace {

// The usage checks of ack and waive, before any state is opened: a typo, a blank --by or an
// over-long note is exit 2 and never creates or touches a state file.
std::optional<ParsedStep> checkAck(const AckOptions& o, Io& io) {
  auto id = validStep("ack", o.step, io);
  if (!id) return std::nullopt;
  if (id->info->kind != StepKind::Manual) {
    io.err << "offboard ack: "
           << trf("{step} is a {kind} step: offboard verifies it itself and an acknowledgement would not count. "
                  "For a deliberate exception: offboard waive {step} --by NAME --reason TEXT",
                  fmt::arg("step", id->step.str()), fmt::arg("kind", stepKindName(id->info->kind)))
           << "\n";
    return std::nullopt;
  }
  std::string err;
  if (!checkText("--by", o.by, 200, true, &err) || !checkText("--note", o.note, 2000, false, &err)) {
    io.err << "offboard ack: " << err << "\n";
    return std::nullopt;
  }
  return id;
}

std::optional<ParsedStep> checkWaive(const WaiveOptions& o, Io& io) {
  auto id = validStep("waive", o.step, io);
  if (!id) return std::nullopt;
  if (id->step.action == Action::CancelSubscription) {
    io.err << "offboard waive: " << tr("cancel-subscription is the step the gate unlocks; there is nothing to waive")
           << "\n";
    return std::nullopt;
  }
  std::string err;
  if (!checkText("--by", o.by, 200, true, &err) || !checkText("--reason", o.reason, 2000, true, &err)) {
    io.err << "offboard waive: " << err << "\n";
    return std::nullopt;
  }
  return id;
}

std::optional<ParsedStep> checkRevoke(const RevokeOptions& o, Io& io) {
  auto id = validStep("revoke", o.step, io);
  if (!id) return std::nullopt;
  std::string err;
  if (!checkText("--by", o.by, 200, true, &err) || !checkText("--reason", o.reason, 2000, true, &err)) {
    io.err << "offboard revoke: " << err << "\n";
    return std::nullopt;
  }
  return id;
}

// The runner of a command that appends to the state (ack, waive, revoke): the clock and the usage
// checks first, then the state (which must exist), then the write.
template <class Options, class Check, class Run>
Runner stateWriter(const char* name, CLI::App* cmd, std::shared_ptr<Options> o, Check check, Run run) {
  return [name, cmd, o, check, run](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    std::string err;
    auto now = commandNow(o->now, &err);
    if (!now) {
      io.err << "offboard " << name << ": " << err << "\n";
      return kExitUsage;
    }
    if (!check(*o, io)) return kExitUsage;
    int rc = kExitInternal;
    // The state must exist: only the steps of a plan made with it can be acknowledged, waived
    // or revoked, and a mistyped --state must not leave an empty state behind.
    auto store = openStateFor(name, o->state, OpenMode::MustExist, io, &rc);
    if (!store) return rc;
    return run(*o, *store, *now, io);
  };
}

}  // namespace

int runAck(const AckOptions& o, StateStore& store, std::int64_t now, Io& io) {
  auto id = checkAck(o, io);
  if (!id) return kExitUsage;
  if (int rc = checkInPlan("ack", *id, store, io); rc != kExitOk) return rc;
  if (Status added = store.addAck(AckRow{id->step.str(), trim(o.by), o.note, now}); !added)
    return reportFailure("ack", added, io);
  io.out << trf("acknowledged {step} by {who} at {at}", fmt::arg("step", id->step.str()), fmt::arg("who", trim(o.by)),
                fmt::arg("at", formatRfc3339(now)))
         << "\n";
  return kExitOk;
}

int runWaive(const WaiveOptions& o, StateStore& store, std::int64_t now, Io& io) {
  auto id = checkWaive(o, io);
  if (!id) return kExitUsage;
  if (int rc = checkInPlan("waive", *id, store, io); rc != kExitOk) return rc;
  if (Status added = store.addWaiver(WaiverRow{id->step.str(), trim(o.by), trim(o.reason), now}); !added)
    return reportFailure("waive", added, io);
  io.out << trf("waived {step} by {who} at {at}: {reason}", fmt::arg("step", id->step.str()),
                fmt::arg("who", trim(o.by)), fmt::arg("at", formatRfc3339(now)), fmt::arg("reason", trim(o.reason)))
         << "\n";
  return kExitOk;
}

int runRevoke(const RevokeOptions& o, StateStore& store, std::int64_t now, Io& io) {
  auto id = checkRevoke(o, io);
  if (!id) return kExitUsage;
  auto read = store.snapshot();
  if (!read) return reportFailure("revoke", read.status(), io);
  const StateSnapshot& snap = *read;
  // Only what stands can be withdrawn: an ack or waiver recorded after the step's last revocation.
  std::int64_t revoked = 0;  // event ids start at 1
  for (const auto& r : snap.revocations)
    if (StepId::parse(r.step) == id->step) revoked = std::max(revoked, r.seq);
  std::size_t acks = 0, waivers = 0;
  for (const auto& a : snap.acks) acks += StepId::parse(a.step) == id->step && a.seq > revoked;
  for (const auto& w : snap.waivers) waivers += StepId::parse(w.step) == id->step && w.seq > revoked;
  if (acks + waivers == 0) {
    io.err << "offboard revoke: "
           << (revoked ? trf("{step} has no ack or waiver to withdraw in state file {file} (its last one was revoked "
                             "already)",
                             fmt::arg("step", id->step.str()), fmt::arg("file", store.path()))
                       : trf("{step} has no ack or waiver to withdraw in state file {file}",
                             fmt::arg("step", id->step.str()), fmt::arg("file", store.path())))
           << "\n";
    return kExitUsage;
  }
  if (Status added = store.addRevocation(RevocationRow{id->step.str(), trim(o.by), trim(o.reason), now}); !added)
    return reportFailure("revoke", added, io);
  io.out << trf("revoked {step} ({acks}, {waivers}) by {who} at {at}: {reason}", fmt::arg("step", id->step.str()),
                fmt::arg("acks", trnf("{n} ack", "{n} acks", acks, fmt::arg("n", acks))),
                fmt::arg("waivers", trnf("{n} waiver", "{n} waivers", waivers, fmt::arg("n", waivers))),
                fmt::arg("who", trim(o.by)), fmt::arg("at", formatRfc3339(now)), fmt::arg("reason", trim(o.reason)))
         << "\n";
  return kExitOk;
}

int runStatus(const StatusOptions& o, const std::optional<Tenant>& t, Resolver* resolver,
              StateStore* store, std::int64_t now, const DirectResolverFactory& direct, Io& io,
              PolicyFetcher* policies) {
  StateSnapshot snap;
  if (store) {
    auto read = store->snapshot();
    if (!read) return reportFailure("status", read.status(), io);
    snap = std::move(read).value();
  }
  if (!t || !resolver) return statusSummary(o, snap, io);
  snap = {};
  auto planned = runPipeline(pipelineRun(*t, *resolver, store, o.source, now, direct, false, policies));
  if (!planned) return reportFailure("status", planned.status(), io);
  const Plan& plan = *planned;
  GateDecision d = decide(plan);
  if (o.format == "json") {
    LanguageScope english(Lang::En);  // JSON's words never change with the language
    io.out << renderPlanJson(plan);
  } else {
    for (const auto& s : plan.steps)
      io.out << fmt::format("{:<14} {:<44} {}\n", "[" + std::string(stepStatusName(s.status)) + "]", clean(s.id.str()),
                            clean(stateText(s)));
    io.out << "gate: " << gateVerdictName(d.verdict) << " ("
           << trf("as of {now}", fmt::arg("now", formatRfc3339(now))) << ")\n";
  }
  return gateExitCode(d);
}

namespace {

// --domain D matches an observation of D (alone or among a comma-joined list) and a step of D.
bool aboutDomain(const HistoryEvent& e, const std::string& d) {
  if (e.kind != "observe") return e.target.size() > d.size() && e.target.compare(e.target.size() - d.size(), d.size(), d) == 0 &&
                                  e.target[e.target.size() - d.size() - 1] == ':';
  std::size_t at = 0;
  while (at <= e.target.size()) {
    std::size_t comma = e.target.find(',', at);
    if (comma == std::string::npos) comma = e.target.size();
    if (e.target.compare(at, comma - at, d) == 0 && comma - at == d.size()) return true;
    at = comma + 1;
  }
  return false;
}

bool unchanged(const HistoryEvent& e) {
  return e.kind == "observe" && e.text.size() >= 11 && e.text.compare(e.text.size() - 11, 11, ", unchanged") == 0;
}

}  // namespace

int runHistory(const HistoryOptions& o, StateStore& store, Io& io) {
  std::optional<std::int64_t> since;
  if (!o.since.empty()) {
    std::string why;
    since = parseRfc3339(o.since, &why);
    if (!since) {
      io.err << "offboard history: --since " << quoteForMessage(o.since) << " " << why << "\n";
      return kExitUsage;
    }
  }
  std::string domain;
  if (!o.domain.empty()) {
    std::string why;
    auto d = normalizeDomain(o.domain, &why);
    if (!d) {
      io.err << "offboard history: --domain " << quoteForMessage(o.domain) << " " << why << "\n";
      return kExitUsage;
    }
    domain = d->name.toStringNoDot();
  }
  auto read = store.history();
  if (!read) return reportFailure("history", read.status(), io);
  std::vector<HistoryEvent> events;
  std::size_t hidden = 0;
  for (auto& e : *read) {
    if (since && e.at < *since) continue;
    if (!domain.empty() && !aboutDomain(e, domain)) continue;
    if (!o.all && unchanged(e)) {
      ++hidden;
      continue;
    }
    events.push_back(std::move(e));
  }
  if (o.format == "json") {
    ojson j;
    j["schema"] = "offboard.history/1";
    j["events"] = ojson::array();
    for (const auto& e : events)
      j["events"].push_back({{"id", e.id}, {"at", formatRfc3339(e.at)}, {"kind", e.kind},
                             {"target", e.target}, {"by", e.by}, {"text", e.text}});
    io.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  for (const auto& e : events)
    io.out << formatRfc3339(e.at) << "  " << fmt::format("{:<8}", clean(e.kind)) << clean(e.target)
           << (e.by.empty() ? "" : "  " + trf("by {who}", fmt::arg("who", clean(e.by)))) << (e.text.empty() ? "" : "  " + clean(e.text)) << "\n";
  if (events.empty() && hidden == 0) io.out << tr("(no events yet)") << "\n";
  if (hidden)
    io.out << trnf("({n} observation that changed nothing not shown: --all shows it)",
                   "({n} observations that changed nothing not shown: --all shows them)", hidden, fmt::arg("n", hidden))
           << "\n";
  return kExitOk;
}

Runner setupAck(CLI::App& app) {
  auto o = std::make_shared<AckOptions>();
  CLI::App* cmd = app.add_subcommand("ack", tr("Record that a manual step is done (who, when)"));
  cmd->footer(tr("Examples:\n  offboard ack notify-users --by alice --note \"mail sent 2026-12-01\"\n"
              "  offboard ack move-users-off-domain:contoso.com --by bob\n"
              "Manual steps: confirm-admin-role, reduce-licenses, notify-users, backup-data,\n"
              "move-users-off-domain:DOMAIN, remove-domain:DOMAIN, cancel-subscription, uninstall-office.\n"
              "Only steps of the tenant's plan, as the last plan or gate with this --state made it.\n"
              "An ack counts only when every step it comes after was done when it was made.\n"
              "Exit: 0 recorded, 2 usage error (unknown step, not a manual step, not in the plan,\n"
              "      no state yet), 4 storage error."));
  cmd->add_option("step", o->step, tr("Step identifier, e.g. notify-users or remove-domain:contoso.com"))->required();
  cmd->add_option("--by", o->by, tr("Who did it"))->required();
  cmd->add_option("--note", o->note, tr("A note for the audit log"));
  addStateOptions(*cmd, o->state, o->now);
  return stateWriter("ack", cmd, o, checkAck, runAck);
}

Runner setupWaive(CLI::App& app) {
  auto o = std::make_shared<WaiveOptions>();
  CLI::App* cmd = app.add_subcommand("waive", tr("Record a deliberate exception to a step (the gate then passes it)"));
  cmd->footer(tr("Example:\n  offboard waive remove-teams-records:contoso.com --by alice \\\n"
              "      --reason \"Teams federation records are managed by the new provider\"\n"
              "Exit: 0 recorded, 2 usage error (unknown step, not in the plan, no reason, no state yet),\n"
              "      4 storage error."));
  cmd->add_option("step", o->step, tr("Step identifier, e.g. remove-dkim:contoso.com"))->required();
  cmd->add_option("--by", o->by, tr("Who decided it"))->required();
  cmd->add_option("--reason", o->reason, tr("Why the step is waived (shown in the runbook and the gate)"))->required();
  addStateOptions(*cmd, o->state, o->now);
  return stateWriter("waive", cmd, o, checkWaive, runWaive);
}

Runner setupRevoke(CLI::App& app) {
  auto o = std::make_shared<RevokeOptions>();
  CLI::App* cmd = app.add_subcommand("revoke", tr("Withdraw an earlier ack or waiver (a mistake, a step undone)"));
  cmd->footer(tr("The history keeps the ack or waiver and the revocation; the step is open again.\n"
              "Example:\n  offboard revoke backup-data --by alice --reason \"the export failed; redo it\"\n"
              "Exit: 0 recorded, 2 usage error (unknown step, nothing to withdraw, no reason), 4 storage error."));
  cmd->add_option("step", o->step, tr("Step identifier, e.g. backup-data or remove-domain:contoso.com"))->required();
  cmd->add_option("--by", o->by, tr("Who withdraws it"))->required();
  cmd->add_option("--reason", o->reason, tr("Why (kept in the history)"))->required();
  addStateOptions(*cmd, o->state, o->now);
  return stateWriter("revoke", cmd, o, checkRevoke, runRevoke);
}

Runner setupStatus(CLI::App& app) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand("status", tr("The plan's state: acks, waivers, observations; with a tenant, each step's status"));
  cmd->footer(tr("Without --tenant or DOMAIN: what the state holds. With them: every step's status now\n"
              "(re-resolved; status never writes the state).\n"
              "Exit: 0 (state only) or as `gate`; 2 usage error or not an offboard state; 4 storage error."));
  addTenantOptions(*cmd, o->input);
  addSourceOptions(*cmd, o->source);
  addStateOptions(*cmd, o->state, o->now);
  cmd->add_option("--format", o->format, tr("Output format"))->check(CLI::IsMember({"text", "json"}));
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    std::string err;
    auto now = commandNow(o->now, &err);
    if (!now) {
      io.err << "offboard status: " << err << "\n";
      return kExitUsage;
    }
    auto tenant = loadTenant(o->input, true, &err);
    if (!tenant) {
      io.err << "offboard status: " << err << "\n";
      return kExitUsage;
    }
    const bool withTenant = !o->input.tenantFile.empty() || !o->input.domains.empty();
    std::unique_ptr<StateStore> store;
    if (fileExists(o->state) || !withTenant) {
      int rc = kExitInternal;
      store = openStateFor("status", o->state, OpenMode::MustExist, io, &rc);
      if (!store) return rc;
    }
    if (!withTenant) return runStatus(*o, std::nullopt, nullptr, store.get(), *now, nullptr, io);
    ResolverBuild rb = makeResolver(o->source);
    if (!rb.resolver) {
      io.err << "offboard status: " << rb.error << "\n";
      return rb.exitCode;
    }
    return runStatus(*o, tenant, rb.resolver.get(), store.get(), *now, directResolvers(o->source), io,
                     rb.policies.get());
  };
}

Runner setupHistory(CLI::App& app) {
  auto o = std::make_shared<HistoryOptions>();
  CLI::App* cmd = app.add_subcommand("history", tr("The audit log: acks, waivers and observations over time"));
  cmd->footer(tr("Exit: 0, 2 when --state is missing or not an offboard state, 4 storage error."));
  cmd->add_option("--state", o->state, tr("State FILE (default ./offboard.db)"));
  cmd->add_option("--format", o->format, tr("Output format"))->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--all", o->all, tr("Also the observations that changed nothing (by default only changes: old → new)"));
  cmd->add_option("--domain", o->domain, tr("Only events about this domain: its observations and its steps"))
      ->type_name("DOMAIN");
  cmd->add_option("--since", o->since, tr("Only events at or after this time (RFC 3339)"))->type_name("TIME");
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    int rc = kExitInternal;
    auto store = openStateFor("history", o->state, OpenMode::MustExist, io, &rc);
    if (!store) return rc;
    return runHistory(*o, *store, io);
  };
}

}  // namespace offboard
