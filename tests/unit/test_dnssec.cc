// DNSSEC at the NS switch (SPEC §3 dnssec-ds-mismatch, §4 switch-ns): the DS/DNSKEY digest
// comparison on records read by ldns (RFC 4034 §5.4 and RFC 4509 §2.3 test vectors), the check
// on literal observations (which servers are asked, what fails closed), and the planner's
// switch-ns step.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>

#include "checks/checks.h"
#include "core/domain_input.h"
#include "fake_resolver.h"
#include "plan/planner.h"
#include "plan_text.h"
#include "render/step_text.h"
#include "resolvers/rr_convert.h"
#include "resolvers/stub_resolver.h"
#include "state/observe.h"
#include "tenant/tenant.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

// A record read as the resolvers read one: presentation text -> ldns -> recordFromLdns.
Record parsed(const std::string& text) {
  ldns_rr* raw = nullptr;
  REQUIRE_MESSAGE(ldns_rr_new_frm_str(&raw, text.c_str(), 3600, nullptr, nullptr) == LDNS_STATUS_OK, text);
  LdnsRr rr(raw);
  std::string err;
  auto r = recordFromLdns(rr.get(), &err);
  INFO(err);
  REQUIRE(r.has_value());
  return *r;
}

// RFC 4034 §5.4 / RFC 4509 §2.3: the key, and its DS with SHA-1 and with SHA-256.
const std::string kKey =
    "dskey.example.com. 86400 IN DNSKEY 256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/"
    "2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc"
    "nOf+EPbtG9DMBmADjFDc2w/rljwvFw==";
const std::string kDs1 = "dskey.example.com. 86400 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118";
const std::string kDs2 =
    "dskey.example.com. 86400 IN DS 60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A";
// The same key tag and algorithm, the last digest octet changed: a look-alike.
const std::string kDs2LookAlike =
    "dskey.example.com. 86400 IN DS 60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50B";
// Another key's DS (RFC 4034 §5.4's tag, another digest), and one of a digest type offboard
// does not compute (3, GOST R 34.11-94), one of a private algorithm (253).
const std::string kDsOther =
    "dskey.example.com. 86400 IN DS 12345 5 2 0000000000000000000000000000000000000000000000000000000000000001";
const std::string kDsGost =
    "dskey.example.com. 86400 IN DS 60485 5 3 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A";
const std::string kDsPrivate = "dskey.example.com. 86400 IN DS 60485 253 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4";
const std::string kDs384Stale =
    "dskey.example.com. 86400 IN DS 60485 5 4 "
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001";

DsOutcome outcome(const std::vector<std::string>& ds, const std::vector<std::string>& keys) {
  std::vector<Record> d, k;
  for (const auto& t : ds) d.push_back(parsed(t));
  for (const auto& t : keys) k.push_back(parsed(t));
  return compareDs(d, k).outcome;
}

}  // namespace

TEST_CASE("a DNSKEY read by ldns carries its key tag and the DS digests of RFC 4034 and RFC 4509") {
  Record k = parsed(kKey);
  CHECK(k.type == RRType::DNSKEY);
  CHECK(k.keyTag == 60485);
  CHECK(k.algorithm == 5);
  CHECK(k.keyFlags == 256);
  CHECK(k.keyProtocol == 3);
  REQUIRE(k.digests.size() == 3);
  Record d = parsed(kDs2);
  CHECK(d.keyTag == 60485);
  CHECK(d.algorithm == 5);
  REQUIRE(d.digests.size() == 1);
  CHECK(d.digests.front().type == 2);
  CHECK(d.digests.front().octets.size() == 32);
  CHECK(d.data == "60485 5 2 d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a");  // ldns' hex
}

TEST_CASE("a DS matches the key it was made from, by SHA-1 and by SHA-256") {
  CHECK(dsMatchesKey(parsed(kDs1), parsed(kKey)));
  CHECK(dsMatchesKey(parsed(kDs2), parsed(kKey)));
  CHECK(outcome({kDs1}, {kKey}) == DsOutcome::Matches);
  CHECK(outcome({kDs2}, {kKey}) == DsOutcome::Matches);
  CHECK(outcome({kDsOther, kDs2}, {kKey}) == DsOutcome::Matches);  // one DS of the set is enough
}

TEST_CASE("a DS of another key, or no key at all, is a mismatch") {
  CHECK_FALSE(dsMatchesKey(parsed(kDsOther), parsed(kKey)));
  CHECK(outcome({kDsOther}, {kKey}) == DsOutcome::NoMatch);
  CHECK(outcome({kDs2}, {}) == DsOutcome::NoMatch);
  CHECK(outcome({}, {kKey}) == DsOutcome::Matches);  // no DS: nothing to match
}

TEST_CASE("a look-alike DS: the key tag and algorithm of the key, another digest, does not match") {
  CHECK_FALSE(dsMatchesKey(parsed(kDs2LookAlike), parsed(kKey)));
  CHECK(outcome({kDs2LookAlike}, {kKey}) == DsOutcome::NoMatch);
  // The right digest for another owner name does not match either (it is hashed in).
  std::string elsewhere = kKey;
  elsewhere.replace(0, std::string("dskey.example.com.").size(), "dskey.example.net.");
  CHECK_FALSE(dsMatchesKey(parsed(kDs2), parsed(elsewhere)));
}

TEST_CASE("a DS of a digest type or algorithm offboard cannot compare is never a match, nor a mismatch") {
  CHECK_FALSE(dsMatchesKey(parsed(kDsGost), parsed(kKey)));
  CHECK(outcome({kDsGost}, {kKey}) == DsOutcome::NotCompared);
  CHECK(outcome({kDsPrivate}, {kKey}) == DsOutcome::NotCompared);
  CHECK(outcome({kDsGost}, {}) == DsOutcome::NotCompared);
  CHECK(outcome({kDsOther, kDsGost}, {kKey}) == DsOutcome::NotCompared);
  // A match of a weaker digest beside a stronger one that cannot be compared: unknown too.
  DsComparison c = compareDs({parsed(kDs2), parsed(kDsGost)}, {parsed(kKey)});
  CHECK(c.outcome == DsOutcome::NotCompared);
  REQUIRE(c.whyNot.size() == 1);
  CHECK(c.whyNot.front() == "digest type 3");
}

TEST_CASE("only the strongest digest type of the DS set counts, as validators compare it") {
  // RFC 4509 §3: a good SHA-1 DS beside a stale SHA-256 one is ignored.
  CHECK(outcome({kDs1, kDsOther}, {kKey}) == DsOutcome::NoMatch);
  CHECK(outcome({kDs2, kDs384Stale}, {kKey}) == DsOutcome::NoMatch);
  CHECK(outcome({kDs1, kDs2}, {kKey}) == DsOutcome::Matches);
}

TEST_CASE("a DS matches a zone key of protocol 3 only, never a revoked one") {
  std::string notZone = kKey, revoked = kKey, protocol = kKey;
  notZone.replace(notZone.find(" 256 3 5 "), 9, " 0 3 5 ");
  revoked.replace(revoked.find(" 256 3 5 "), 9, " 384 3 5 ");
  protocol.replace(protocol.find(" 256 3 5 "), 9, " 256 2 5 ");
  for (const auto& k : {notZone, revoked, protocol}) {
    CAPTURE(k.substr(0, 60));
    Record key = parsed(k);
    Record ds;  // the DS that key would have, so that only the flags differ
    ds.type = RRType::DS;
    ds.keyTag = key.keyTag;
    ds.algorithm = key.algorithm;
    ds.digests.push_back(key.digests[1]);
    CHECK_FALSE(dsMatchesKey(ds, key));
  }
}

// ---- the check, on literal observations ---------------------------------------------------------

namespace {

const std::string kD = "dskey.example.com";

Observation withRecords(Observation o, std::vector<Record> rrs) {
  for (auto& r : rrs) r.name = N(kD);
  o.answer = std::move(rrs);
  return o;
}

// The first round for dskey.example.com with the parent side seen: delegated to `parentNs`,
// the parent's DS RRset `ds` (NODATA when empty), nothing else of interest.
std::vector<Observation> firstRound(const std::vector<std::string>& parentNs, const std::vector<std::string>& ds) {
  std::vector<Observation> out;
  for (const auto& q : questionsFor(N(kD), true)) {
    Observation o;
    o.question = q;
    o.outcome = Outcome::NoData;
    o.negativeTtl = 300;
    o.server = "test";
    if (q.type == RRType::NS && q.name == N(kD)) {
      o.outcome = Outcome::Answer;
      for (const auto& n : parentNs) o.answer.push_back(rec(kD, RRType::NS, n, q.parentSide ? 172800 : 3600));
    } else if (q.type == RRType::MX && q.name == N(kD)) {
      o.outcome = Outcome::Answer;
      o.answer.push_back(rec(kD, RRType::MX, "mx1.newmail.example", 3600, 10));
    } else if (q.type == RRType::DS && !ds.empty()) {
      o.outcome = Outcome::Answer;
      std::vector<Record> rrs;
      for (const auto& t : ds) rrs.push_back(parsed(t));
      o = withRecords(o, rrs);
    }
    out.push_back(o);
  }
  out.push_back(obs("mx1.newmail.example", RRType::CNAME, Outcome::NoData));
  return out;
}

const std::vector<std::string> kMs = {"ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"};
const std::vector<std::string> kNew = {"ns1.newdns.example", "ns2.newdns.example"};

CheckContext newHost() {
  CheckContext ctx;
  ctx.newNameservers = {N("ns1.newdns.example"), N("ns2.newdns.example")};
  return ctx;
}

std::optional<Question> dnskeyAsked(const std::vector<Question>& qs) {
  for (const auto& q : qs)
    if (q.type == RRType::DNSKEY) return q;
  return std::nullopt;
}

// One server's DNSKEY answer, as the authoritative walk keeps it in perServer.
Observation keysAt(const std::string& server, Outcome o, const std::vector<std::string>& keys) {
  Observation s;
  s.outcome = o;
  s.server = server;
  for (const auto& k : keys) s.answer.push_back(parsed(k));
  return s;
}

Observation merged(const Question& q, std::vector<Observation> per) {
  Observation m;
  m.question = q;
  m.outcome = Outcome::NoData;
  for (auto& s : per) {
    s.question = q;
    if (s.outcome == Outcome::Answer) {
      m.outcome = Outcome::Answer;
      for (const auto& r : s.answer) m.answer.push_back(r);
    }
  }
  m.perServer = std::move(per);
  return m;
}

bool hasFinding(const DomainReport& r, FindingId id) {
  return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return f.id == id; });
}

const Finding* dnssecFailure(const DomainReport& r) {
  for (const auto& f : r.findings)
    if (f.id == FindingId::LookupFailed && (f.type == RRType::DS || f.type == RRType::DNSKEY)) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("no DS at the parent: no DNSKEY is asked and the domain stays clear") {
  auto v = firstRound(kNew, {});
  CHECK(!dnskeyAsked(followUps(N(kD), v, newHost())));
  DomainReport r = evaluate(N(kD), v, newHost());
  CHECK(r.verdict == Verdict::Clear);
  CHECK(r.findings.empty());
}

TEST_CASE("before the switch the DNSKEY is asked of the tenant's new_dns servers, each of which must match") {
  auto v = firstRound(kMs, {kDs2});
  auto more = followUps(N(kD), v, newHost());
  auto q = dnskeyAsked(more);
  REQUIRE(q.has_value());
  CHECK(q->servers == std::vector<DnsName>{N("ns1.newdns.example"), N("ns2.newdns.example")});
  // Attack: Microsoft's (old) servers serve the key the DS names; the new host serves another.
  // Only the new host's answer is read, and it does not match: blocked.
  // ns1 of the new host has the key, ns2 serves none: a validator asking ns2 fails.
  v.push_back(merged(*q, {keysAt("ns1.newdns.example", Outcome::Answer, {kKey}),
                          keysAt("ns2.newdns.example", Outcome::NoData, {})}));
  DomainReport r = evaluate(N(kD), v, newHost());
  REQUIRE(hasFinding(r, FindingId::DnssecDsMismatch));
  const Finding* f = nullptr;
  for (const auto& x : r.findings)
    if (x.id == FindingId::DnssecDsMismatch) f = &x;
  CHECK(f->severity == Severity::Blocker);
  CHECK(f->server == "ns2.newdns.example");  // ns1 has the key; ns2 serves none
  CHECK(f->message.find("Before the switch, remove the DS records at the registrar") != std::string::npos);
}

TEST_CASE("a key only Microsoft's servers serve never satisfies the DS") {
  auto v = firstRound(kMs, {kDs2});
  auto q = dnskeyAsked(followUps(N(kD), v, newHost()));
  REQUIRE(q.has_value());
  // The new host serves another key of its own (a DS made before it signed with its final key).
  std::string otherKey = kKey;
  otherKey.replace(otherKey.find(" 256 3 5 "), 9, " 257 3 5 ");
  // Microsoft's zone, asked as the zone's own servers would be: it has the DS's key (and comes
  // first among the observations).
  v.push_back(obs(kD, RRType::DNSKEY, Outcome::Answer, {parsed(kKey)}));
  v.push_back(merged(*q, {keysAt("ns1.newdns.example", Outcome::Answer, {otherKey}),
                          keysAt("ns2.newdns.example", Outcome::Answer, {otherKey})}));
  DomainReport r = evaluate(N(kD), v, newHost());
  CHECK(hasFinding(r, FindingId::DnssecDsMismatch));
  CHECK(r.verdict == Verdict::PointsAtM365);
  // Only the old servers' answer, the new host never asked: unknown, never clear.
  auto w = firstRound(kMs, {kDs2});
  w.push_back(obs(kD, RRType::DNSKEY, Outcome::Answer, {parsed(kKey)}));
  DomainReport u = evaluate(N(kD), w, newHost());
  CHECK(u.verdict != Verdict::Clear);
  REQUIRE(dnssecFailure(u) != nullptr);
  CHECK(dnssecFailure(u)->type == RRType::DNSKEY);
}

TEST_CASE("after the switch the DNSKEY is asked of the servers the parent delegates to") {
  auto v = firstRound(kNew, {kDs2});
  auto q = dnskeyAsked(followUps(N(kD), v, newHost()));
  REQUIRE(q.has_value());
  CHECK(q->servers == std::vector<DnsName>{N("ns1.newdns.example"), N("ns2.newdns.example")});
  v.push_back(merged(*q, {keysAt("ns1.newdns.example", Outcome::Answer, {kKey}),
                          keysAt("ns2.newdns.example", Outcome::Answer, {kKey})}));
  DomainReport r = evaluate(N(kD), v, newHost());
  CHECK(r.verdict == Verdict::Clear);
  CHECK(std::any_of(r.records.begin(), r.records.end(), [](const Record& x) { return x.type == RRType::DS; }));
}

TEST_CASE("a failed DNSKEY lookup at the new host never clears the DS") {
  for (Outcome o : {Outcome::Timeout, Outcome::ServFail, Outcome::Refused, Outcome::Lame, Outcome::NotAvailable,
                    Outcome::Malformed}) {
    CAPTURE(outcomeName(o));
    auto v = firstRound(kNew, {kDs2});
    auto q = dnskeyAsked(followUps(N(kD), v, newHost()));
    REQUIRE(q.has_value());
    // One server has the key, the other fails: the domain is not clear.
    v.push_back(merged(*q, {keysAt("ns1.newdns.example", Outcome::Answer, {kKey}), keysAt("ns2.newdns.example", o, {})}));
    DomainReport r = evaluate(N(kD), v, newHost());
    CHECK(r.verdict == Verdict::Indeterminate);
    const Finding* f = dnssecFailure(r);
    REQUIRE(f != nullptr);
    CHECK(f->type == RRType::DNSKEY);
    CHECK(f->server == "ns2.newdns.example");
    // The single observation of a recursive resolver, failed.
    auto w = firstRound(kNew, {kDs2});
    w.push_back(obs(kD, RRType::DNSKEY, o));
    w.back().question = *q;
    CHECK(evaluate(N(kD), w, newHost()).verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("a failed DS lookup at the parent is lookup-failed, never clear") {
  for (Outcome o : {Outcome::Timeout, Outcome::ServFail, Outcome::Lame}) {
    CAPTURE(outcomeName(o));
    auto v = firstRound(kNew, {});
    for (auto& x : v)
      if (x.question.type == RRType::DS) x.outcome = o;
    DomainReport r = evaluate(N(kD), v, newHost());
    CHECK(r.verdict == Verdict::Indeterminate);
    REQUIRE(dnssecFailure(r) != nullptr);
    CHECK(dnssecFailure(r)->type == RRType::DS);
  }
  // Never asked at all (an engine that skipped it): missing evidence too.
  auto v = firstRound(kNew, {});
  v.erase(std::remove_if(v.begin(), v.end(), [](const Observation& o) { return o.question.type == RRType::DS; }),
          v.end());
  CHECK(evaluate(N(kD), v, newHost()).verdict == Verdict::Indeterminate);
}

TEST_CASE("an alias has no DS of its own: the chain's end is another name's") {
  for (Outcome o : {Outcome::NoData, Outcome::Answer, Outcome::NotAvailable}) {
    CAPTURE(outcomeName(o));
    auto v = firstRound(kNew, {});
    for (auto& x : v) {
      if (x.question.type != RRType::DS) continue;
      x.outcome = o;
      x.chain = {rec(kD, RRType::CNAME, "elsewhere.example")};
      if (o == Outcome::Answer) {
        Record ds = parsed(kDsOther);
        ds.name = N("elsewhere.example");
        x.answer = {ds};
      }
    }
    CHECK_FALSE(dnskeyAsked(followUps(N(kD), v, newHost())));
    DomainReport r = evaluate(N(kD), v, newHost());
    CHECK(dnssecFailure(r) == nullptr);
    CHECK_FALSE(hasFinding(r, FindingId::DnssecDsMismatch));
  }
  // An alias whose chain ends in a failure is a failure.
  auto v = firstRound(kNew, {});
  for (auto& x : v)
    if (x.question.type == RRType::DS) {
      x.outcome = Outcome::Timeout;
      x.chain = {rec(kD, RRType::CNAME, "elsewhere.example")};
    }
  CHECK(evaluate(N(kD), v, newHost()).verdict == Verdict::Indeterminate);
}

TEST_CASE("a DS while the new host is unknown is indeterminate, never clear") {
  auto v = firstRound(kMs, {kDs2});
  CHECK(!dnskeyAsked(followUps(N(kD), v, {})));
  DomainReport r = evaluate(N(kD), v, {});
  const Finding* f = dnssecFailure(r);
  REQUIRE(f != nullptr);
  CHECK(f->data == "not-asked");
  CHECK(f->severity == Severity::Indeterminate);
}

TEST_CASE("a DS offboard cannot compare is indeterminate, never clear") {
  auto v = firstRound(kNew, {kDsGost});
  auto q = dnskeyAsked(followUps(N(kD), v, newHost()));
  REQUIRE(q.has_value());
  v.push_back(merged(*q, {keysAt("ns1.newdns.example", Outcome::Answer, {kKey})}));
  DomainReport r = evaluate(N(kD), v, newHost());
  CHECK(r.verdict == Verdict::Indeterminate);
  REQUIRE(dnssecFailure(r) != nullptr);
  CHECK(dnssecFailure(r)->data == "not-compared");
  CHECK_FALSE(hasFinding(r, FindingId::DnssecDsMismatch));
}

TEST_CASE("a recursive resolver: asked plainly once the zone's NS names the new host, by name before") {
  // No parent side: the child NS set decides; after the switch the recursive answer is the new host's.
  std::vector<Observation> v;
  for (auto o : firstRound(kNew, {kDs2}))
    if (!o.question.parentSide) v.push_back(o);
  auto q = dnskeyAsked(followUps(N(kD), v, newHost()));
  REQUIRE(q.has_value());
  CHECK(q->servers.empty());
  std::vector<Observation> w;
  for (auto o : firstRound(kMs, {kDs2}))
    if (!o.question.parentSide) w.push_back(o);
  q = dnskeyAsked(followUps(N(kD), w, newHost()));
  REQUIRE(q.has_value());
  CHECK(q->servers.size() == 2);
  // Zone files: the domain's own zone file, whatever the delegation says.
  CheckContext offline = newHost();
  offline.offline = true;
  q = dnskeyAsked(followUps(N(kD), firstRound(kMs, {kDs2}), offline));
  REQUIRE(q.has_value());
  CHECK(q->servers.empty());
}

TEST_CASE("a recursive resolver cannot ask named servers: NotAvailable, never the zone's own answer") {
  StubResolver stub({"127.0.0.1:9"});  // never sent to: the question is refused before any query
  Question q{N(kD), RRType::DNSKEY};
  q.servers = {N("ns1.newdns.example")};
  CHECK_FALSE(q == Question{N(kD), RRType::DNSKEY});  // a question naming servers is another question
  std::optional<Observation> got;
  stub.submit(q, [&](Observation&& o) { got = std::move(o); });
  stub.run();
  REQUIRE(got.has_value());
  CHECK(got->outcome == Outcome::NotAvailable);
  CHECK(got->detail.find("ns1.newdns.example.") != std::string::npos);
  REQUIRE(stub.transportStats().has_value());
  CHECK(stub.transportStats()->sent == 0);
}

// ---- the plan --------------------------------------------------------------------------------------

namespace {

Tenant tenantOf(const std::string& domain) {
  Tenant t;
  t.source = TenantSource::OwnFile;
  t.file = "tenant.json";
  t.name = "dnssec.onmicrosoft.com";
  t.subscriptions.push_back({"Microsoft 365 Business Basic", "business", 3, true});
  TenantDomain td;
  std::string err;
  td.input = *normalizeDomain(domain, &err);
  t.domains.push_back(td);
  t.newNameservers = {N("ns1.newdns.example"), N("ns2.newdns.example")};
  return t;
}

Plan planFor(const DomainReport& r) {
  PlanInput in;
  in.tenant = tenantOf(kD);
  in.reports = {r};
  in.now = 1797328800;
  for (auto row : observationsOf(r, in.now)) in.state.observations.push_back(row);
  return buildPlan(in);
}

DomainReport reportWith(const std::vector<std::string>& parentNs, Observation keys) {
  auto v = firstRound(parentNs, {kDs2});
  auto q = dnskeyAsked(followUps(N(kD), v, newHost()));
  REQUIRE(q.has_value());
  keys.question = *q;
  for (auto& s : keys.perServer) s.question = *q;
  v.push_back(keys);
  return evaluate(N(kD), v, newHost());
}

}  // namespace

TEST_CASE("dnssec-ds-mismatch keeps switch-ns open and says the fix, before and after the switch") {
  std::string otherKey = kKey;
  otherKey.replace(otherKey.find(" 256 3 5 "), 9, " 257 3 5 ");
  for (bool switched : {false, true}) {
    CAPTURE(switched);
    Observation keys = merged(Question{}, {keysAt("ns1.newdns.example", Outcome::Answer, {otherKey})});
    Plan p = planFor(reportWith(switched ? kNew : kMs, keys));
    const PlanStep* s = findStep(p, "switch-ns:dskey.example.com");
    REQUIRE(s != nullptr);  // after the switch too: offboard never saw Microsoft host it
    CHECK(s->status == StepStatus::Open);
    CHECK(s->state.reason == Reason::DsMismatch);
    CHECK(s->state.flag == switched);
    REQUIRE(s->state.records.size() == 1);
    CHECK(s->state.records.front().data.rfind("60485 5 2 ", 0) == 0);
    const std::string text = stateText(*s);
    CHECK(text.find("dskey.example.com. 86400 IN DS 60485 5 2 ") != std::string::npos);
    CHECK(text.find("at the registrar") != std::string::npos);
    CHECK(text.find(switched ? "bogus now" : "Before switching NS") != std::string::npos);
    // Not a DS of the zone: never a record to create at the new host.
    if (const PlanStep* prep = findStep(p, "prepare-new-dns-host:dskey.example.com"))
      for (const auto& c : prep->changes) CHECK(c.record.type != RRType::DS);
  }
}

TEST_CASE("a DNSKEY lookup without evidence keeps switch-ns from being done") {
  Observation keys = merged(Question{}, {keysAt("ns1.newdns.example", Outcome::Timeout, {})});
  Plan after = planFor(reportWith(kNew, keys));
  const PlanStep* s = findStep(after, "switch-ns:dskey.example.com");
  REQUIRE(s != nullptr);
  CHECK(s->status == StepStatus::Indeterminate);
  CHECK(s->state.reason == Reason::DsUnverified);
  Plan before = planFor(reportWith(kMs, keys));
  s = findStep(before, "switch-ns:dskey.example.com");
  REQUIRE(s != nullptr);
  CHECK(s->status == StepStatus::Open);
  CHECK(s->state.reason == Reason::DsUnverified);
  CHECK(stateText(*s).find("check it before switching NS") != std::string::npos);
}

TEST_CASE("a matching DS leaves switch-ns to the delegation alone") {
  Observation keys = merged(Question{}, {keysAt("ns1.newdns.example", Outcome::Answer, {kKey}),
                                         keysAt("ns2.newdns.example", Outcome::Answer, {kKey})});
  Plan before = planFor(reportWith(kMs, keys));
  const PlanStep* s = findStep(before, "switch-ns:dskey.example.com");
  REQUIRE(s != nullptr);
  CHECK(s->state.reason == Reason::ParentAtM365);
  // Switched, never seen at Microsoft, the DS matching: no switch-ns step at all.
  Plan after = planFor(reportWith(kNew, keys));
  CHECK(findStep(after, "switch-ns:dskey.example.com") == nullptr);
}
