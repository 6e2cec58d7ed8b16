// `offboard plan`, and the pipeline plan, gate and status share: load the tenant, resolve every
// domain, gather the zone listings and the new DNS host's answers, record what was seen.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "commands/plan_commands.h"
#include "core/i18n.h"
#include "engine/check_engine.h"
#include "gate/gate.h"
#include "state/observe.h"
#include "time/time_text.h"
#include "render/plan_render.h"
#include "render/zone_export.h"
#include "resolvers/zone_resolver.h"

namespace offboard {
namespace {

constexpr std::size_t kMaxTenantFile = 64u << 20;  // a tenant export is kilobytes; refuse a disk image

std::optional<std::string> readFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot be read";
    return std::nullopt;
  }
  std::string bytes;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxTenantFile) {
      *error = path + ": larger than 64 MiB; not a tenant file";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    *error = path + ": read error";
    return std::nullopt;
  }
  return bytes;
}

}  // namespace

std::optional<std::int64_t> commandNow(const std::string& nowOption, std::string* error) {
  if (nowOption.empty()) return static_cast<std::int64_t>(std::time(nullptr));
  std::string why;
  auto t = parseRfc3339(nowOption, &why);
  if (!t) *error = "--now " + quoteForMessage(nowOption) + " " + why;
  return t;
}

std::optional<Tenant> loadTenant(const TenantArgs& a, bool allowEmpty, std::string* error) {
  if (!a.tenantFile.empty() && !a.domains.empty()) {
    *error = tr("give --tenant FILE or DOMAIN arguments, not both");
    return std::nullopt;
  }
  Tenant t;
  if (!a.tenantFile.empty()) {
    auto bytes = readFile(a.tenantFile, error);
    if (!bytes) return std::nullopt;
    auto parsed = parseTenant(*bytes, a.tenantFile, error);
    if (!parsed) return std::nullopt;
    t = std::move(*parsed);
  } else if (a.domains.empty()) {
    if (!allowEmpty) {
      *error = tr("give --tenant FILE (a tenant file or a Graph export) or at least one DOMAIN");
      return std::nullopt;
    }
  } else {
    t.source = TenantSource::Arguments;
    std::set<DnsName> seen;
    for (const auto& arg : a.domains) {
      std::string why;
      auto d = normalizeDomain(arg, &why);
      if (!d) {
        *error = "argument " + quoteForMessage(arg) + " " + why;
        return std::nullopt;
      }
      if (isInitialDomainName(d->name)) {
        t.skipped.push_back(d->name.toStringNoDot() + " (argument): an initial Microsoft domain; it can never be removed, so it is not offboarded");
        continue;
      }
      if (!seen.insert(d->name).second) continue;
      TenantDomain td;
      td.input = std::move(*d);
      t.domains.push_back(std::move(td));
    }
  }
  if (!a.newMx.empty()) {
    t.newMx.clear();
    for (const auto& m : a.newMx) {
      std::string why;
      auto target = parseMailTarget(m, &why);
      if (!target) {
        *error = "--new-mx " + why;
        return std::nullopt;
      }
      t.newMx.push_back(*target);
    }
  }
  if (!a.newNs.empty()) {
    t.newNameservers.clear();
    for (const auto& n : a.newNs) {
      std::string why;
      auto name = DnsName::parse(n, &why);
      if (!name || name->labelCount() < 2) {
        *error = trf("--new-ns {value} is not a host name", fmt::arg("value", quoteForMessage(n))) +
                 (why.empty() ? "" : ": " + why);
        return std::nullopt;
      }
      t.newNameservers.push_back(*name);
    }
  }
  return t;
}

void addTenantOptions(CLI::App& cmd, TenantArgs& a) {
  const char* group = tr("Tenant");
  cmd.add_option("domains", a.domains, tr("Custom domains of the tenant (instead of --tenant)"));
  cmd.add_option("--tenant", a.tenantFile,
                 tr("Tenant FILE: offboard's tenant JSON, or a Microsoft Graph export (GET /domains, "
                 "Get-MgDomain | ConvertTo-Json -Depth 5)"))
      ->group(group);
  cmd.add_option("--new-mx", a.newMx, tr("The new mail provider's MX HOST[:PREF] (repeatable; default PREF 10)"))
      ->group(group);
  cmd.add_option("--new-ns", a.newNs, tr("The new DNS host's nameserver HOST (repeatable)"))->group(group);
}

void addStateOptions(CLI::App& cmd, std::string& state, std::string& now) {
  const char* group = tr("State and clock");
  cmd.add_option("--state", state, tr("State FILE: acks, waivers and observation history (default ./offboard.db)"))
      ->group(group);
  cmd.add_option("--now", now, tr("Use this time instead of the clock (RFC 3339, e.g. 2026-12-15T10:00:00Z)"))
      ->group(group);
}

std::unique_ptr<StateStore> openStateFor(const char* cmd, const std::string& path, OpenMode mode,
                                         Io& io, int* rc) {
  auto store = StateStore::open(path, mode);
  if (!store) {
    *rc = reportFailure(cmd, store.status(), io);
    return nullptr;
  }
  return std::move(store).value();
}

DirectResolverFactory directResolvers(const SourceOptions& source) {
  return [source](const std::vector<std::string>& servers) -> std::unique_ptr<Resolver> {
    SourceOptions s;
    s.resolvers = servers;
    s.timeoutMs = source.timeoutMs;
    s.tries = source.tries;
    ResolverBuild b = makeResolver(s);
    return std::move(b.resolver);
  };
}

int reportFailure(const char* cmd, const Status& status, Io& io) {
  io.err << "offboard " << cmd << ": " << status.message() << "\n";
  return exitCodeOf(status);
}

PipelineRun pipelineRun(const Tenant& t, Resolver& resolver, StateStore* store, const SourceOptions& source,
                        std::int64_t now, const DirectResolverFactory& direct, bool record,
                        PolicyFetcher* policies) {
  // A recursive resolver shows what is left in its cache: ask the zone's servers for the TTL.
  const bool recursive = source.zonesDir.empty() && !source.authoritative;
  return PipelineRun{t, resolver, store, evidenceOf(source), recursive, now, direct, record, policies};
}

int runPlan(const PlanOptions& o, const Tenant& t, Resolver& resolver, StateStore& store,
            std::int64_t now, const DirectResolverFactory& direct, Io& io, PolicyFetcher* policies) {
  auto plan = runPipeline(pipelineRun(t, resolver, &store, o.source, now, direct, true, policies));
  if (!plan) return reportFailure("plan", plan.status(), io);
  if (o.format == "json") {
    LanguageScope english(Lang::En);  // JSON's words never change with the language
    io.out << renderPlanJson(*plan);
  }
  else if (o.format == "markdown") io.out << renderPlanMarkdown(*plan);
  else if (o.format == "html") io.out << renderPlanHtml(*plan);
  else if (o.format == "zone") io.out << renderZoneExport(*plan);
  else io.out << renderPlanText(*plan, textStyle(o.color, io.outIsTerminal, o.verbose));
  return gateExitCode(decide(*plan));
}

Runner setupPlan(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "plan", tr("Runbook: the ordered migration plan for the tenant's domains, with records, waits and checks"));
  cmd->footer(
      tr("The plan records what it resolves in the state (--state), so that the propagation clock\n"
      "has its \"before\"; acks and waivers there mark steps done or waived.\n"
      "Examples:\n"
      "  offboard plan --tenant tenant.json --format html > runbook.html\n"
      "  offboard plan contoso.com --new-mx mx1.newmail.example:10 --new-ns ns1.newdns.example\n"
      "  offboard plan --tenant domains.json --zones fixtures/zones --now 2026-12-15T10:00:00Z\n"
      "Exit: 0 every step done or waived, 1 steps open, 2 usage or input error,\n"
      "      3 evidence missing and nothing definite open, 4 internal or storage error."));
  addTenantOptions(*cmd, o->input);
  addSourceOptions(*cmd, o->source);
  addStateOptions(*cmd, o->state, o->now);
  cmd->add_option("--format", o->format,
                  tr("Output format. zone: for each domain whose zone Microsoft hosts, an RFC 1035 zone file of "
                  "the records to create at the new DNS host, each opened by a \"; zone DOMAIN\" line"))
      ->check(CLI::IsMember({"text", "markdown", "json", "html", "zone"}));
  cmd->add_option("--color", o->color, tr("Colour in text output"))->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--verbose,-v", o->verbose, tr("Text: each step's why, verification, state and records"));
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    std::string err;
    auto now = commandNow(o->now, &err);
    if (!now) {
      io.err << "offboard plan: " << err << "\n";
      return kExitUsage;
    }
    auto tenant = loadTenant(o->input, false, &err);
    if (!tenant) {
      io.err << "offboard plan: " << err << "\n";
      return kExitUsage;
    }
    ResolverBuild rb = makeResolver(o->source);
    if (!rb.resolver) {
      io.err << "offboard plan: " << rb.error << "\n";
      return rb.exitCode;
    }
    int rc = kExitInternal;
    auto store = openStateFor("plan", o->state, OpenMode::CreateIfMissing, io, &rc);
    if (!store) return rc;
    return runPlan(*o, *tenant, *rb.resolver, *store, *now, directResolvers(o->source), io, rb.policies.get());
  };
}

}  // namespace offboard
