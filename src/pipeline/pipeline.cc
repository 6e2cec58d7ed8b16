#include "pipeline/pipeline.h"

#include "core/i18n.h"

#include <algorithm>
#include <set>
#include <utility>

#include "engine/check_engine.h"
#include "state/observe.h"
#include "tenant/identity.h"

namespace offboard {
namespace {

bool nsHistoryAtMicrosoft(const StateIndex& s, const DnsName& d) {
  for (const auto& sub : subjectsOf(d))
    if (sub.action == Action::SwitchNs && m365Ttl(s.history(d, sub.key))) return true;
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
      if (s.key == rows[i].subject && s.kind != SubjectKind::ParentNs) asked.emplace_back(&s, i);
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

std::string mismatchMessage(const std::string& path, const std::string& bound, const std::string& current,
                            const Tenant& t) {
  return "state file " + path + " belongs to " + describeIdentity(bound) + ", not to " +
         describeIdentity(current) + (t.file.empty() ? "" : " (" + t.file + ")") +
         ": acks, waivers and history are never mixed across tenants. Keep one state per tenant "
         "(--state TENANT.db, or one directory per tenant).";
}

}  // namespace

Evidence gatherEvidence(const Tenant& t, Resolver& resolver, const StateSnapshot& state,
                        std::int64_t now, const DirectResolverFactory& direct, bool cacheTtls,
                        PolicyFetcher* policies) {
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
    ctx.newNameservers = t.newNameservers;  // where the DNSKEY matching the parent's DS must be
    jobs.push_back(DomainJob{d, ctx});
  }
  ev.reports = checkAll(resolver, jobs, policies);
  const bool offline = resolver.offline();
  for (const auto& report : ev.reports) {
    const DnsName& d = report.domain;
    const std::vector<Record>* listing = nullptr;
    if (const auto* z = resolver.zoneListing(d)) listing = &(ev.zoneListings[d] = *z);
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
    if (offline) {
      // Offline: no server is ever asked. Once the delegation has left Microsoft, the zone file
      // in DIR is what the new host serves.
      if (!hostedNow && listing)
        ev.newHost[d] = NewHostView{"the zone file for " + d.toString() + " (" + resolver.describe() + ")", *listing, {}, ""};
      else
        ev.newHost[d] = NewHostView{resolver.describe(), {}, {},
                                    // A fixed sentence: the renderers translate it (core/i18n.h)
                                    N_("offline (--zones), the new DNS host cannot be asked; the zone "
                                       "file is checked once the delegation has left Microsoft")};
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

Result<Plan> runPipeline(const PipelineRun& run) {
  const Tenant& t = run.tenant;
  StateStore* store = run.store;
  const std::string identity = tenantIdentity(t);
  if (store) {
    if (run.record) {
      // Bound before anything is recorded: another tenant's run writes nothing.
      auto binding = store->bindTenant(identity, [&](const std::string& stored) { return sameTenant(stored, identity); });
      if (!binding) return binding.status();
      if (binding->kind == StateStore::Binding::Kind::Mismatch)
        return Status::tenantMismatch(mismatchMessage(store->path(), binding->stored, identity, t));
    } else {
      auto bound = store->boundTenant();
      if (!bound) return bound.status();
      if (!bound->empty() && !sameTenant(*bound, identity))
        return Status::tenantMismatch(mismatchMessage(store->path(), *bound, identity, t));
    }
  }
  StateSnapshot before;
  if (store) {
    auto read = store->snapshot();
    if (!read) return read.status();
    before = std::move(read).value();
  }
  Evidence ev = gatherEvidence(t, run.resolver, before, run.now, run.direct, run.cacheTtls, run.policies);
  PlanInput in;
  in.tenant = t;
  if (store) {
    // The last plan's steps: a Graph blocker seen once stays until an input shows it gone.
    auto last = store->planSteps();
    if (!last) return last.status();
    for (const auto& id : *last)
      if (auto step = StepId::parse(id)) in.lastPlan.insert(std::move(*step));
  }
  if (run.record && store) {
    // Recorded before deciding: the propagation clock counts from the first observation of a
    // new value, and a run that cannot record must not pass (fail closed).
    if (Status written = store->recordObservations(ev.rows); !written) return written;
    auto recorded = store->snapshot();
    if (!recorded) return recorded.status();
    in.state = std::move(recorded).value();
  } else {
    // Re-resolved but not recorded: status never changes the state.
    in.state = std::move(before);
    for (auto& row : ev.rows) in.state.observations.push_back(std::move(row));
  }
  in.reports = std::move(ev.reports);
  in.zoneListings = std::move(ev.zoneListings);
  in.newHost = std::move(ev.newHost);
  in.now = run.now;
  Plan plan = buildPlan(in);
  plan.evidence = run.evidence;
  if (run.record && store) {
    // What ack, waive and revoke accept from now on: this tenant's plan's step ids.
    std::vector<std::string> ids;
    for (const auto& s : plan.steps) ids.push_back(s.id.str());
    if (Status kept = store->setPlanSteps(ids); !kept) return kept;
  }
  return plan;
}

}  // namespace offboard
