// `offboard gate`: re-resolve, record, read the state back, decide (SPEC §4, §5).
#include <CLI/CLI.hpp>

#include <ostream>

#include "commands/plan_commands.h"
#include "core/i18n.h"
#include "gate/gate.h"
#include "render/plan_render.h"

namespace offboard {

int runGate(const GateOptions& o, const Tenant& t, Resolver& resolver, StateStore& store,
            std::int64_t now, const DirectResolverFactory& direct, Io& io, PolicyFetcher* policies) {
  auto plan = runPipeline(pipelineRun(t, resolver, &store, o.source, now, direct, true, policies));
  if (!plan) return reportFailure("gate", plan.status(), io);
  GateDecision d = decide(*plan);
  if (o.format == "text") {
    io.out << renderGateText(*plan, d, textStyle(o.color, io.outIsTerminal, false));
    return gateExitCode(d);
  }
  LanguageScope english(Lang::En);  // JSON, JUnit and SARIF words never change with the language
  if (o.format == "json") io.out << renderGateJson(*plan, d);
  else if (o.format == "junit") io.out << renderGateJunit(*plan, d);
  else io.out << renderGateSarif(*plan, d, t.file);
  return gateExitCode(d);
}

Runner setupGate(CLI::App& app) {
  auto o = std::make_shared<GateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "gate", tr("Pre-cancellation check: exit 0 only when every step is verified done or waived"));
  cmd->footer(
      tr("Re-resolves every domain, records what it sees in the state (--state), and decides.\n"
      "cancel-subscription is the step the gate unlocks; uninstall-office never blocks.\n"
      "Examples:\n"
      "  offboard gate --tenant tenant.json\n"
      "  offboard gate --tenant tenant.json --format junit > gate.xml\n"
      "  offboard gate contoso.com --zones fixtures/zones --now 2026-12-17T10:00:00Z\n"
      "Exit: 0 ready, 1 blocked (steps open), 2 usage or input error,\n"
      "      3 indeterminate (evidence missing, nothing definite open), 4 internal or storage error."));
  addTenantOptions(*cmd, o->input);
  addSourceOptions(*cmd, o->source);
  addStateOptions(*cmd, o->state, o->now);
  cmd->add_option("--format", o->format, tr("Output format"))
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}));
  cmd->add_option("--color", o->color, tr("Colour in text output"))->check(CLI::IsMember({"auto", "always", "never"}));
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    std::string err;
    auto now = commandNow(o->now, &err);
    if (!now) {
      io.err << "offboard gate: " << err << "\n";
      return kExitUsage;
    }
    auto tenant = loadTenant(o->input, false, &err);
    if (!tenant) {
      io.err << "offboard gate: " << err << "\n";
      return kExitUsage;
    }
    ResolverBuild rb = makeResolver(o->source);
    if (!rb.resolver) {
      io.err << "offboard gate: " << rb.error << "\n";
      return rb.exitCode;
    }
    int rc = kExitInternal;
    auto store = openStateFor("gate", o->state, OpenMode::CreateIfMissing, io, &rc);
    if (!store) return rc;
    return runGate(*o, *tenant, *rb.resolver, *store, *now, directResolvers(o->source), io, rb.policies.get());
  };
}

}  // namespace offboard
