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
#include "engine/check_engine.h"
#include "plan/gate.h"
#include "plan/observe.h"
#include "plan/time_text.h"
#include "render/plan_render.h"
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

bool nsHistoryAtMicrosoft(const StateIndex& s, const DnsName& d) {
  for (const auto& sub : subjectsOf(d))
    if (sub.action == "switch-ns" && m365Ttl(s.history(d, sub.key))) return true;
  return false;
}

// The addresses of `servers`, asked through `resolver`: addresses, and "name (address)" each.
std::pair<std::vector<std::string>, std::vector<std::string>> addressesOf(Resolver& resolver,
                                                                           const std::vector<DnsName>& servers) {
  std::vector<std::string> addrs, shown;
  for (const auto& ns : servers) {
    for (RRType t : {RRType::A, RRType::AAAA}) {
      resolver.submit(Question{ns, t}, [&, ns](Observation o) {
        if (o.outcome != Outcome::Answer) return;
        for (const auto& r : o.answer) {
          if (r.type != RRType::A && r.type != RRType::AAAA) continue;
          if (std::find(addrs.begin(), addrs.end(), r.data) == addrs.end()) {
            addrs.push_back(r.data);
            shown.push_back(ns.toString() + " (" + r.data + ")");
          }
        }
      });
    }
  }
  resolver.run();
  return {addrs, shown};
}

// Asks the new DNS host's own servers for every required record (RD is irrelevant to an
// authoritative server: it answers from its zones).
NewHostView queryNewHost(Resolver& resolver, const std::vector<DnsName>& servers,
                         const std::vector<RequiredRecord>& required, const DirectResolverFactory& direct) {
  NewHostView v;
  auto [addrs, shown] = addressesOf(resolver, servers);
  std::string names;
  for (const auto& ns : servers) names += (names.empty() ? "" : ", ") + ns.toString();
  if (addrs.empty()) {
    v.source = names;
    v.failures.push_back("no address found for the new DNS host's servers (" + names + ")");
    return v;
  }
  for (const auto& s : shown) v.source += (v.source.empty() ? "" : ", ") + s;
  std::unique_ptr<Resolver> r = direct ? direct(addrs) : nullptr;
  if (!r) {
    v.failures.push_back("cannot query " + v.source);
    return v;
  }
  std::set<std::pair<DnsName, RRType>> asked;
  for (const auto& req : required) {
    if (!asked.insert({req.record.name, req.record.type}).second) continue;
    r->submit(Question{req.record.name, req.record.type}, [&v](Observation o) {
      if (o.outcome == Outcome::Answer) {
        for (auto& rec : o.answer) v.records.push_back(rec);
      } else if (!isEvidence(o.outcome)) {
        v.failures.push_back(o.question.name.toString() + " " + rrTypeName(o.question.type) + ": " +
                             std::string(outcomeName(o.outcome)) + (o.server.empty() ? "" : " at " + o.server));
      }
    });
  }
  r->run();
  return v;
}

// A recursive resolver shows what is left of a record's TTL in its cache, not the TTL itself: a
// record seen with 10 s left would be waited for 10 s. Each subject with records is asked once
// more at the zone's own servers (its child NS), and the row keeps the larger TTL: never less
// than what the authoritative side says (SPEC §4). A server that does not answer leaves the TTL
// seen (the largest sighting over the history still counts).
void raiseToAuthoritativeTtls(const DomainReport& report, Resolver& resolver, const DirectResolverFactory& direct,
                              std::vector<ObservationRow>& rows, std::size_t firstRow) {
  if (!direct || report.delegation.childNs.empty()) return;
  std::vector<std::pair<const Subject*, std::size_t>> asked;  // subject, row index
  std::vector<Subject> subjects = subjectsOf(report.domain);
  for (std::size_t i = firstRow; i < rows.size(); ++i) {
    if (!rows[i].evidence || rows[i].value == "absent") continue;
    for (const auto& s : subjects)
      if (s.key == rows[i].subject && s.key.rfind("NS(parent) ", 0) != 0) asked.emplace_back(&s, i);
  }
  if (asked.empty()) return;
  auto addrs = addressesOf(resolver, report.delegation.childNs).first;
  if (addrs.empty()) return;
  std::unique_ptr<Resolver> r = direct(addrs);
  if (!r) return;
  std::map<std::pair<DnsName, RRType>, std::uint32_t> ttls;
  for (const auto& [s, row] : asked) {
    auto key = std::make_pair(s->name, s->type);
    if (!ttls.emplace(key, 0).second) continue;
    r->submit(Question{s->name, s->type}, [&ttls, key](Observation o) {
      if (o.outcome != Outcome::Answer) return;
      // The chain's TTLs count too: a cached alias expires on its own clock.
      for (const auto* list : {&o.answer, &o.chain})
        for (const auto& rec : *list) ttls[key] = std::max(ttls[key], rec.ttl);
    });
  }
  r->run();
  for (const auto& [s, row] : asked) rows[row].ttl = std::max(rows[row].ttl, ttls[{s->name, s->type}]);
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
    *error = "give --tenant FILE or DOMAIN arguments, not both";
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
      *error = "give --tenant FILE (a tenant file or a Graph export) or at least one DOMAIN";
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
        *error = "--new-ns " + quoteForMessage(n) + " is not a host name" + (why.empty() ? "" : ": " + why);
        return std::nullopt;
      }
      t.newNameservers.push_back(*name);
    }
  }
  return t;
}

Evidence gatherEvidence(const Tenant& t, Resolver& resolver, const StateSnapshot& state,
                        std::int64_t now, const DirectResolverFactory& direct, bool cacheTtls) {
  Evidence ev;
  // Read once, not per domain: a scan of the state or of t.domains per domain is quadratic.
  const StateIndex index(state);
  std::map<DnsName, const TenantDomain*> byName;  // the last entry, as a scan would find it
  std::set<DnsName> adminManagedFalse;
  for (const auto& td : t.domains) {
    byName[td.input.name] = &td;
    if (td.adminManaged == false) adminManagedFalse.insert(td.input.name);
  }
  static const std::vector<DnsName> kNoMx;
  auto knownMx = [&](const DnsName& d) -> const std::vector<DnsName>& {
    auto it = byName.find(d);
    return it == byName.end() ? kNoMx : it->second->knownMicrosoftMx;
  };
  std::vector<DomainJob> jobs;
  for (const auto& d : domainsToCheck(t, state)) {
    CheckContext ctx;
    ctx.knownMicrosoftMx = knownMx(d.name);
    jobs.push_back(DomainJob{d, ctx});
  }
  ev.reports = checkAll(resolver, jobs);
  auto* zones = dynamic_cast<ZoneResolver*>(&resolver);
  for (const auto& report : ev.reports) {
    const DnsName& d = report.domain;
    const std::vector<Record>* listing = nullptr;
    if (zones)
      if (const auto* z = zones->zoneRecords(d)) listing = &(ev.zoneListings[d] = *z);
    const bool hostedNow = hostedByMicrosoftNow(report);
    std::vector<RequiredRecord> required;
    std::optional<std::string> zoneValue;
    if (hostedNow) {
      required = requiredAtNewHost(t, report, listing, index, knownMx(d));
      zoneValue = encodeRequired(required);
    }
    const std::size_t firstRow = ev.rows.size();
    for (auto& row : observationsOf(report, now, zoneValue)) ev.rows.push_back(std::move(row));
    if (cacheTtls) raiseToAuthoritativeTtls(report, resolver, direct, ev.rows, firstRow);

    if (!hostedNow && !nsHistoryAtMicrosoft(index, d) && !adminManagedFalse.count(d)) continue;
    if (!hostedNow) required = requiredAtNewHost(t, report, listing, index, knownMx(d));
    if (zones) {
      // Offline: no server is ever asked. Once the delegation has left Microsoft, the zone file
      // in DIR is what the new host serves.
      if (!hostedNow && listing)
        ev.newHost[d] = NewHostView{"the zone file for " + d.toString() + " (" + zones->describe() + ")", *listing, {}, ""};
      else
        ev.newHost[d] = NewHostView{zones->describe(), {}, {},
                                    "offline (--zones), the new DNS host cannot be asked; the zone "
                                    "file is checked once the delegation has left Microsoft"};
      continue;
    }
    std::vector<DnsName> servers = t.newNameservers;
    if (servers.empty() && !hostedNow)
      servers = report.delegation.parentSeen && !report.delegation.parentNs.empty() ? report.delegation.parentNs
                                                                                   : report.delegation.childNs;
    if (servers.empty()) continue;
    ev.newHost[d] = queryNewHost(resolver, servers, required, direct);
  }
  return ev;
}

void addTenantOptions(CLI::App& cmd, TenantArgs& a) {
  const char* group = "Tenant";
  cmd.add_option("domains", a.domains, "Custom domains of the tenant (instead of --tenant)");
  cmd.add_option("--tenant", a.tenantFile,
                 "Tenant FILE: offboard's tenant JSON, or a Microsoft Graph export (GET /domains, "
                 "Get-MgDomain | ConvertTo-Json -Depth 5)")
      ->group(group);
  cmd.add_option("--new-mx", a.newMx, "The new mail provider's MX HOST[:PREF] (repeatable; default PREF 10)")
      ->group(group);
  cmd.add_option("--new-ns", a.newNs, "The new DNS host's nameserver HOST (repeatable)")->group(group);
}

void addStateOptions(CLI::App& cmd, std::string& state, std::string& now) {
  const char* group = "State and clock";
  cmd.add_option("--state", state, "State FILE: acks, waivers and observation history (default ./offboard.db)")
      ->group(group);
  cmd.add_option("--now", now, "Use this time instead of the clock (RFC 3339, e.g. 2026-12-15T10:00:00Z)")
      ->group(group);
}

std::unique_ptr<StateStore> openStateFor(const char* cmd, const std::string& path, OpenMode mode,
                                         Io& io, int* rc) {
  std::string err;
  int code = kExitInternal;
  auto store = StateStore::open(path, mode, &err, &code);
  if (!store) {
    io.err << "offboard " << cmd << ": " << err << "\n";
    *rc = code == kExitOk ? kExitInternal : code;
  }
  return store;
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

namespace {

// The identity of domains given without a tenant name: the prefix, then the sorted A-labels.
std::string unnamedIdentity(const std::set<std::string>& domains) {
  std::string out(kUnnamedTenantPrefix);
  bool first = true;
  for (const auto& n : domains) {
    out += (first ? "" : ", ") + n;
    first = false;
  }
  return out;
}

}  // namespace

std::string tenantIdentity(const Tenant& t) {
  if (!t.name.empty()) {
    std::string n = t.name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    return n;
  }
  std::set<std::string> names;
  for (const auto& d : t.domains) names.insert(d.input.name.toStringNoDot());
  return unnamedIdentity(names);
}

namespace {

std::set<std::string> unnamedDomains(const std::string& identity) {
  std::set<std::string> out;
  std::string rest = identity.substr(std::string_view(kUnnamedTenantPrefix).size());
  std::size_t at = 0;
  while (at <= rest.size()) {
    std::size_t comma = rest.find(", ", at);
    std::string d = rest.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!d.empty()) out.insert(d);
    if (comma == std::string::npos) break;
    at = comma + 2;
  }
  return out;
}

bool isUnnamed(const std::string& identity) { return identity.rfind(kUnnamedTenantPrefix, 0) == 0; }

}  // namespace

std::optional<std::string> sameTenant(const std::string& stored, const std::string& current) {
  if (!isUnnamed(stored) && !isUnnamed(current))
    return stored == current ? std::optional<std::string>(current) : std::nullopt;
  if (isUnnamed(stored) != isUnnamed(current)) return std::nullopt;
  // Domains given without a tenant name: the same tenant when they share a domain (a domain
  // belongs to one tenant at a time); the binding then holds every domain seen.
  std::set<std::string> a = unnamedDomains(stored), b = unnamedDomains(current);
  if (!std::any_of(b.begin(), b.end(), [&](const std::string& d) { return a.count(d) > 0; }))
    return std::nullopt;
  a.insert(b.begin(), b.end());
  return unnamedIdentity(a);
}

namespace {

std::string describeIdentity(const std::string& identity) {
  return isUnnamed(identity) ? "the domains " + identity.substr(std::string_view(kUnnamedTenantPrefix).size()) +
                                   " (given without a tenant name)"
                             : "tenant " + identity;
}

std::string mismatchMessage(const std::string& path, const std::string& bound, const std::string& current,
                            const Tenant& t) {
  return "state file " + path + " belongs to " + describeIdentity(bound) + ", not to " +
         describeIdentity(current) + (t.file.empty() ? "" : " (" + t.file + ")") +
         ": acks, waivers and history are never mixed across tenants. Keep one state per tenant "
         "(--state TENANT.db, or one directory per tenant).";
}

}  // namespace

std::optional<Plan> runPipeline(const char* cmd, const Tenant& t, Resolver& resolver, StateStore* store,
                                const SourceOptions& source, std::int64_t now,
                                const DirectResolverFactory& direct, bool record, Io& io, int* rc) {
  std::string err;
  auto fail = [&](int code, const std::string& what) -> std::optional<Plan> {
    io.err << "offboard " << cmd << ": " << what << "\n";
    *rc = code;
    return std::nullopt;
  };
  const std::string identity = tenantIdentity(t);
  if (store) {
    if (record) {
      // Bound before anything is recorded: another tenant's run writes nothing.
      std::string bound;
      switch (store->bindTenant(identity, [&](const std::string& stored) { return sameTenant(stored, identity); },
                                &bound, &err)) {
        case StateStore::Binding::Bound:
        case StateStore::Binding::Matches: break;
        case StateStore::Binding::Mismatch: return fail(kExitUsage, mismatchMessage(store->path(), bound, identity, t));
        case StateStore::Binding::Error: return fail(kExitInternal, err);
      }
    } else {
      auto bound = store->boundTenant(&err);
      if (!bound) return fail(kExitInternal, err);
      if (!bound->empty() && !sameTenant(*bound, identity))
        return fail(kExitUsage, mismatchMessage(store->path(), *bound, identity, t));
    }
  }
  StateSnapshot before;
  if (store) {
    before = store->snapshot(&err);
    if (!err.empty()) return fail(kExitInternal, err);
  }
  const bool recursive = source.zonesDir.empty() && !source.authoritative;
  Evidence ev = gatherEvidence(t, resolver, before, now, direct, recursive);
  PlanInput in;
  in.tenant = t;
  if (record && store) {
    // Recorded before deciding: the propagation clock counts from the first observation of a
    // new value, and a run that cannot record must not pass (fail closed).
    if (!store->recordObservations(ev.rows, &err)) return fail(kExitInternal, err);
    in.state = store->snapshot(&err);
    if (!err.empty()) return fail(kExitInternal, err);
  } else {
    // Re-resolved but not recorded: status never changes the state.
    in.state = std::move(before);
    for (auto& row : ev.rows) in.state.observations.push_back(std::move(row));
  }
  in.reports = std::move(ev.reports);
  in.zoneListings = std::move(ev.zoneListings);
  in.newHost = std::move(ev.newHost);
  in.now = now;
  Plan plan = buildPlan(in);
  plan.evidence = evidenceOf(source);
  if (record && store) {
    // What ack, waive and revoke accept from now on: this tenant's plan's step ids.
    std::vector<std::string> ids;
    for (const auto& s : plan.steps) ids.push_back(s.id);
    if (!store->setPlanSteps(ids, &err)) return fail(kExitInternal, err);
  }
  return plan;
}

int runPlan(const PlanOptions& o, const Tenant& t, Resolver& resolver, StateStore& store,
            std::int64_t now, const DirectResolverFactory& direct, Io& io) {
  int rc = kExitInternal;
  auto plan = runPipeline("plan", t, resolver, &store, o.source, now, direct, true, io, &rc);
  if (!plan) return rc;
  if (o.format == "json") io.out << renderPlanJson(*plan);
  else if (o.format == "markdown") io.out << renderPlanMarkdown(*plan);
  else if (o.format == "html") io.out << renderPlanHtml(*plan);
  else io.out << renderPlanText(*plan, TextStyle{useColor(o.color, io.outIsTerminal)});
  return gateExitCode(decide(*plan));
}

Runner setupPlan(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Runbook: the ordered migration plan for the tenant's domains, with records, waits and checks");
  cmd->footer(
      "The plan records what it resolves in the state (--state), so that the propagation clock\n"
      "has its \"before\"; acks and waivers there mark steps done or waived.\n"
      "Examples:\n"
      "  offboard plan --tenant tenant.json --format html > runbook.html\n"
      "  offboard plan contoso.com --new-mx mx1.newmail.example:10 --new-ns ns1.newdns.example\n"
      "  offboard plan --tenant domains.json --zones fixtures/zones --now 2026-12-15T10:00:00Z\n"
      "Exit: 0 every step done or waived, 1 steps open, 2 usage or input error,\n"
      "      3 evidence missing and nothing definite open, 4 internal or storage error.");
  addTenantOptions(*cmd, o->input);
  addSourceOptions(*cmd, o->source);
  addStateOptions(*cmd, o->state, o->now);
  cmd->add_option("--format", o->format, "Output format")
      ->check(CLI::IsMember({"text", "markdown", "json", "html"}));
  cmd->add_option("--color", o->color, "Colour in text output")->check(CLI::IsMember({"auto", "always", "never"}));
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
    return runPlan(*o, *tenant, *rb.resolver, *store, *now, directResolvers(o->source), io);
  };
}

}  // namespace offboard
