// The authoritative walk: its pure parts on hand-built packets (referral classification, glue
// bailiwick, loop detection, judging each server's answer), then the whole resolver against a
// small hierarchy of fake servers on loopback (sharing of the walk, loops and over-long chains
// ending without a hang, silence, CNAMEs across zones).
#include <doctest/doctest.h>

#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/domain_input.h"
#include "engine/check_engine.h"
#include "fakes/fake_dns.h"
#include "resolvers/authoritative_resolver.h"

using namespace offboard;
using namespace offboard::fakes;

namespace {

DnsName N(const std::string& s) { return *DnsName::parse(s); }

Question ask(const std::string& name, RRType t, bool parentSide = false) {
  Question q;
  q.name = N(name);
  q.type = t;
  q.parentSide = parentSide;
  return q;
}

// A response to `q` built by `fill`, classified by the wire layer as the transport would.
template <typename Fill>
WireAnswer respond(const Question& q, Fill fill) {
  Message m;
  m.id = 4242;
  m.rd = false;
  m.ra = false;
  m.questions.push_back({q.name.toStringNoDot(), static_cast<std::uint16_t>(q.type), 1});
  fill(m);
  Bytes b = m.encode();
  return classifyResponse(q, 4242, b.data(), b.size(), "127.0.0.1:53");
}

std::vector<std::string> targets(const std::vector<Record>& rrs) {
  std::vector<std::string> out;
  for (const auto& r : rrs) out.push_back(r.target.toString());
  return out;
}

}  // namespace

// ---- pure parts ---------------------------------------------------------------------------

TEST_CASE("a referral one label down is a delegation; glue counts only inside the sender's zone") {
  Question q = ask("contoso.com", RRType::NS);
  WireAnswer w = respond(q, [](Message& m) {
    m.authority = {nsRecord("contoso.com", "ns1.contoso.com", 172800),
                   nsRecord("contoso.com", "ns2.other.net", 172800)};
    m.additional = {aRecord("ns1.contoso.com", 127, 0, 0, 5), aRecord("ns2.other.net", 127, 0, 0, 6),
                    aRecord("www.contoso.com", 127, 0, 0, 7)};
  });
  REQUIRE(w.referral);

  WalkStep s = classifyStep(N("com"), N("contoso.com"), w, false);
  REQUIRE(s.kind == WalkStepKind::Delegation);
  CHECK(targets(s.ns) == std::vector<std::string>{"ns1.contoso.com.", "ns2.other.net."});
  CHECK(s.ns.front().ttl == 172800);
  // ns2.other.net is outside com.: a com. server has no say about it (RFC 2181 §5.4.1), and
  // www.contoso.com is not a nameserver of the referral.
  REQUIRE(s.glue.size() == 1);
  CHECK(s.glue.at(N("ns1.contoso.com")) == std::vector<std::string>{"127.0.0.5"});

  // The root's servers are authoritative for everything: their glue is all in bailiwick.
  auto fromRoot = bailiwickGlue(w.additional, {N("ns1.contoso.com"), N("ns2.other.net")},
                                DnsName::root(), false);
  CHECK(fromRoot.size() == 2);
  CHECK(fromRoot.at(N("ns2.other.net")) == std::vector<std::string>{"127.0.0.6"});
}

TEST_CASE("AAAA glue is used only when IPv6 is asked for") {
  std::vector<Record> additional(2);
  additional[0].name = N("ns1.contoso.com");
  additional[0].type = RRType::A;
  additional[0].data = "127.0.0.5";
  additional[1].name = N("ns1.contoso.com");
  additional[1].type = RRType::AAAA;
  additional[1].data = "::1";
  CHECK(bailiwickGlue(additional, {N("ns1.contoso.com")}, N("com"), false)
            .at(N("ns1.contoso.com")) == std::vector<std::string>{"127.0.0.5"});
  CHECK(bailiwickGlue(additional, {N("ns1.contoso.com")}, N("com"), true)
            .at(N("ns1.contoso.com")) == std::vector<std::string>{"127.0.0.5", "::1"});
}

TEST_CASE("the referral found is the deepest NS owner enclosing the name") {
  Question q = ask("www.sub.contoso.com", RRType::A);
  WireAnswer w = respond(q, [](Message& m) {
    m.authority = {nsRecord("contoso.com", "ns1.contoso.com", 600),
                   nsRecord("sub.contoso.com", "ns9.contoso.com", 300),
                   nsRecord("sub.contoso.com", "ns8.contoso.com", 900)};
  });
  auto ref = referralIn(w);
  REQUIRE(ref);
  CHECK(ref->zone == N("sub.contoso.com"));
  CHECK(targets(ref->ns) == std::vector<std::string>{"ns8.contoso.com.", "ns9.contoso.com."});
  CHECK(ref->ns.front().ttl == 300);  // one RRset, one TTL
}

TEST_CASE("a referral that does not go down is a referral loop from that server, never followed") {
  struct Row {
    const char* to;
  };
  for (const char* to : {"contoso.com", "com", ""}) {
    CAPTURE(to);
    Question q = ask("www.contoso.com", RRType::NS);
    WireAnswer w = respond(q, [&](Message& m) { m.authority = {nsRecord(to, "ns.elsewhere.test")}; });
    REQUIRE(w.referral);
    WalkStep s = classifyStep(N("contoso.com"), N("www.contoso.com"), w, false);
    CHECK(s.kind == WalkStepKind::Unusable);
    CHECK(s.obs.outcome == Outcome::Lame);
    CHECK(s.obs.detail.rfind("referral loop at contoso.com.", 0) == 0);
  }
}

TEST_CASE("each kind of answer to a zone-cut probe") {
  Question q = ask("www.contoso.com", RRType::NS);
  const DnsName zone = N("contoso.com"), next = N("www.contoso.com");
  SUBCASE("AA NXDOMAIN: nothing at or below the name") {
    WireAnswer w = respond(q, [](Message& m) {
      m.aa = true;
      m.rcode = 3;
      m.authority = {soaRecord("contoso.com", 3600, 300)};
    });
    CHECK(classifyStep(zone, next, w, false).kind == WalkStepKind::NoSuchName);
  }
  SUBCASE("AA NODATA: the name exists in the zone, no cut") {
    WireAnswer w = respond(q, [](Message& m) {
      m.aa = true;
      m.authority = {soaRecord("contoso.com", 3600, 300)};
    });
    CHECK(classifyStep(zone, next, w, false).kind == WalkStepKind::InZone);
  }
  SUBCASE("NODATA without AA: the server is lame for the zone") {
    WireAnswer w = respond(q, [](Message& m) { m.authority = {soaRecord("contoso.com", 3600, 300)}; });
    WalkStep s = classifyStep(zone, next, w, false);
    CHECK(s.kind == WalkStepKind::Unusable);
    CHECK(s.obs.outcome == Outcome::Lame);
  }
  SUBCASE("an AA NS answer at the name: the server serves the child zone too") {
    WireAnswer w = respond(q, [](Message& m) {
      m.aa = true;
      m.answer = {nsRecord("www.contoso.com", "ns1.contoso.com", 3600)};
      m.additional = {aRecord("ns1.contoso.com", 127, 0, 0, 9)};
    });
    WalkStep s = classifyStep(zone, next, w, false);
    CHECK(s.kind == WalkStepKind::Delegation);
    CHECK(s.glue.at(N("ns1.contoso.com")) == std::vector<std::string>{"127.0.0.9"});
  }
  SUBCASE("an alias: the name is in the zone") {
    WireAnswer w = respond(q, [](Message& m) {
      m.aa = true;
      m.answer = {cnameRecord("www.contoso.com", "contoso.com.evil.test")};
    });
    CHECK(classifyStep(zone, next, w, false).kind == WalkStepKind::InZone);
  }
  SUBCASE("REFUSED: ask another server") {
    WireAnswer w = respond(q, [](Message& m) { m.rcode = 5; });
    WalkStep s = classifyStep(zone, next, w, false);
    CHECK(s.kind == WalkStepKind::Unusable);
    CHECK(s.obs.outcome == Outcome::Refused);
  }
}

TEST_CASE("a zone server's answer is evidence only with AA; referrals up or sideways are lame") {
  const DnsName zone = N("contoso.com");
  Question q = ask("contoso.com", RRType::MX);
  SUBCASE("AA answer") {
    Observation o = judgeZoneAnswer(zone, respond(q, [](Message& m) {
      m.aa = true;
      m.answer = {mxRecord("contoso.com", 0, "contoso-com.mail.protection.outlook.com")};
    }));
    CHECK(o.outcome == Outcome::Answer);
  }
  SUBCASE("the same answer without AA (a cache, or a lame server)") {
    Observation o = judgeZoneAnswer(zone, respond(q, [](Message& m) {
      m.answer = {mxRecord("contoso.com", 0, "contoso-com.mail.protection.outlook.com")};
    }));
    CHECK(o.outcome == Outcome::Lame);
    CHECK(o.detail == "not authoritative (answer without AA)");
    CHECK(o.answer.empty());
  }
  SUBCASE("a referral back up to the parent") {
    Observation o = judgeZoneAnswer(zone, respond(q, [](Message& m) {
      m.authority = {nsRecord("com", "a.gtld.test")};
    }));
    CHECK(o.outcome == Outcome::Lame);
    CHECK(o.detail == "not authoritative (referral to com.)");
  }
  SUBCASE("a referral further down is not evidence either") {
    Question deeper = ask("x.sub.contoso.com", RRType::MX);
    Observation o = judgeZoneAnswer(zone, respond(deeper, [](Message& m) {
      m.authority = {nsRecord("sub.contoso.com", "ns.sub.test")};
    }));
    CHECK(o.outcome == Outcome::NotAvailable);
    CHECK(o.detail.rfind("referral to sub.contoso.com.", 0) == 0);
  }
  SUBCASE("REFUSED passes through (the checks call it lame-delegation)") {
    CHECK(judgeZoneAnswer(zone, respond(q, [](Message& m) { m.rcode = 5; })).outcome == Outcome::Refused);
  }
  SUBCASE("AA NXDOMAIN") {
    Observation o = judgeZoneAnswer(zone, respond(q, [](Message& m) {
      m.aa = true;
      m.rcode = 3;
      m.authority = {soaRecord("contoso.com", 3600, 300)};
    }));
    CHECK(o.outcome == Outcome::NxDomain);
    CHECK(o.negativeTtl == 300u);
  }
}

TEST_CASE("a parent server's referral is the delegation, with the parent's TTL and the zone as owner") {
  Question q = ask("contoso.com", RRType::NS);
  Observation o = judgeParentAnswer(N("contoso.com"), respond(q, [](Message& m) {
    m.authority = {nsRecord("contoso.com", "ns1.bdm.microsoftonline.com", 172800),
                   nsRecord("contoso.com", "ns2.bdm.microsoftonline.com", 172800)};
  }));
  REQUIRE(o.outcome == Outcome::Answer);
  CHECK(targets(o.answer) ==
        std::vector<std::string>{"ns1.bdm.microsoftonline.com.", "ns2.bdm.microsoftonline.com."});
  CHECK(o.answer.front().name == N("contoso.com"));
  CHECK(o.answer.front().ttl == 172800);

  Observation up = judgeParentAnswer(N("contoso.com"), respond(q, [](Message& m) {
    m.authority = {nsRecord("com", "a.gtld.test")};
  }));
  CHECK(up.outcome == Outcome::Lame);

  Observation none = judgeParentAnswer(N("contoso.com"), respond(q, [](Message& m) {
    m.aa = true;
    m.rcode = 3;
    m.authority = {soaRecord("com", 900, 900)};
  }));
  CHECK(none.outcome == Outcome::NxDomain);  // evidence: this parent server has no delegation
}

TEST_CASE("a zone already on the walk's path is a referral loop, named with the whole cycle") {
  std::vector<DnsName> path{N("tailwindtraders.com"), N("blueyonderairlines.com")};
  auto loop = dependencyLoop(path, N("tailwindtraders.com"));
  REQUIRE(loop);
  CHECK(*loop ==
        "referral loop at tailwindtraders.com.: the addresses of its nameservers can only be found "
        "through itself (tailwindtraders.com. -> blueyonderairlines.com. -> tailwindtraders.com.)");
  CHECK_FALSE(dependencyLoop(path, N("com")));
}

// ---- the resolver against fake servers ---------------------------------------------------

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool under(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() &&
                          name.compare(name.size() - zone.size(), zone.size(), zone) == 0 &&
                          name[name.size() - zone.size() - 1] == '.');
}

// The last two labels ("d7.com" for "sub.d7.com").
std::string zoneOf(const std::string& name) {
  auto last = name.rfind('.');
  if (last == std::string::npos) return name;
  auto before = name.rfind('.', last - 1);
  return before == std::string::npos ? name : name.substr(before + 1);
}

Reply send(Message m) { return Reply{{m.encode()}, 0}; }

Message base(const ParsedQuery& q) {
  Message m = replyTo(q);
  m.rd = false;
  m.ra = false;
  return m;
}

// A small Internet: a root, com., a hosting server for most zones, a server that refers back
// up, one that refers ever deeper, one that never answers. Zone names are fictitious; every
// address is 127.0.0.x and is reached through the resolver's redirect seam.
struct FakeWorld {
  std::unique_ptr<FakeDns> root, com, hoster, upward, deep, silent;
  AuthoritativeOptions options;

  FakeWorld() {
    root = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      std::string n = lower(pq.qname);
      Message m = base(pq);
      if (n.empty() && pq.qtype == type::NS) {
        m.aa = true;
        m.answer = {nsRecord("", "a.root.test", 518400)};
        m.additional = {aRecord("a.root.test", 127, 0, 0, 10)};
      } else if (under(n, "com")) {
        m.authority = {nsRecord("com", "a.gtld.test", 172800)};
        m.additional = {aRecord("a.gtld.test", 127, 0, 0, 11)};
      } else {
        m.aa = true;
        m.rcode = 3;
        m.authority = {soaRecord("", 86400, 86400)};
      }
      return send(m);
    });
    com = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      std::string n = lower(pq.qname);
      Message m = base(pq);
      std::string z = zoneOf(n);
      auto delegate = [&](std::vector<std::string> ns, std::vector<RR> glue) {
        for (const auto& s : ns) m.authority.push_back(nsRecord(z, s, 172800));
        m.additional = std::move(glue);
      };
      if (n == "com") {
        m.aa = true;
        if (pq.qtype == type::NS) m.answer = {nsRecord("com", "a.gtld.test", 172800)};
        else m.authority = {soaRecord("com", 900, 900)};
      } else if (z == "upward.com") {
        delegate({"ns.upward.com"}, {aRecord("ns.upward.com", 127, 0, 0, 13)});
      } else if (z == "deep.com") {
        delegate({"ns.deep.com"}, {aRecord("ns.deep.com", 127, 0, 0, 14)});
      } else if (z == "half.com") {
        delegate({"ns.hoster.com", "ns.silent.com"},
                 {aRecord("ns.hoster.com", 127, 0, 0, 12), aRecord("ns.silent.com", 127, 0, 0, 15)});
      } else if (z == "ping.com") {
        delegate({"ns.pong.com"}, {});  // glue-less, and pong.com's server is in ping.com
      } else if (z == "pong.com") {
        delegate({"ns.ping.com"}, {});
      } else if (z == "nowhere.com") {
        m.aa = true;
        m.rcode = 3;
        m.authority = {soaRecord("com", 900, 900)};
      } else {
        delegate({"ns.hoster.com"}, {aRecord("ns.hoster.com", 127, 0, 0, 12)});
      }
      return send(m);
    });
    hoster = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      std::string n = lower(pq.qname);
      std::string z = zoneOf(n);
      Message m = base(pq);
      m.aa = true;
      std::string first = n.substr(0, n.find('.'));
      if (n == z) {
        if (pq.qtype == type::NS) {
          m.answer = {nsRecord(z, "ns.hoster.com", 3600)};
          m.additional = {aRecord("ns.hoster.com", 127, 0, 0, 12)};
        } else if (pq.qtype == type::MX) {
          m.answer = {mxRecord(z, 10, "mx." + z, 3600)};
        } else {
          m.authority = {soaRecord(z, 3600, 300)};
        }
      } else if (n == "ns.hoster.com" && pq.qtype == type::A) {
        m.answer = {aRecord("ns.hoster.com", 127, 0, 0, 12)};
      } else if (first == "sub" || first == "ns") {
        m.authority = {soaRecord(z, 3600, 300)};  // exists, no data of the type
      } else if (n == "alias.d2.com") {
        m.answer = {cnameRecord(n, "target.d3.com")};  // leaves the zone: no more here
      } else if (n == "target.d3.com" && pq.qtype == type::A) {
        m.answer = {aRecord(n, 127, 0, 0, 99)};
      } else if (first.size() == 2 && first[0] == 'c' && (z == "longa.com" || z == "longb.com")) {
        // c1 → … → c5 in the zone, in one answer as servers give it, then out of the zone:
        // longa.com into longb.com, longb.com into d3.com (A) or half.com (anything else).
        for (int i = first[1] - '0'; i <= 5; ++i) {
          std::string to = i < 5 ? "c" + std::to_string(i + 1) + "." + z
                           : z == "longa.com"   ? std::string("c1.longb.com")
                           : pq.qtype == type::A ? std::string("target.d3.com")
                                                 : std::string("gone.half.com");
          m.answer.push_back(cnameRecord("c" + std::to_string(i) + "." + z, to));
        }
      } else if (n == "loopy.d4.com") {
        m.answer = {cnameRecord(n, "loopy.d5.com")};
      } else if (n == "loopy.d5.com") {
        m.answer = {cnameRecord(n, "loopy.d4.com")};
      } else {
        m.rcode = 3;
        m.authority = {soaRecord(z, 3600, 300)};
      }
      return send(m);
    });
    upward = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      Message m = base(pq);  // "not mine, ask com." — a referral back up, never AA
      m.authority = {nsRecord("com", "a.gtld.test", 172800)};
      m.additional = {aRecord("a.gtld.test", 127, 0, 0, 11)};
      return send(m);
    });
    deep = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      std::string n = lower(pq.qname);
      Message m = base(pq);  // every name is delegated once more, to this same server
      m.authority = {nsRecord(n, "ns." + n, 3600)};
      m.additional = {aRecord("ns." + n, 127, 0, 0, 14)};
      return send(m);
    });
    silent = std::make_unique<FakeDns>([](const ParsedQuery&, bool) { return Reply{}; });

    options.rootHints.servers = {N("a.root.test")};
    options.rootHints.addresses = {{N("a.root.test"), {"127.0.0.10"}}};
    options.rootHints.ttl = 518400;
    options.redirect = {{"127.0.0.10", root->address()},   {"127.0.0.11", com->address()},
                        {"127.0.0.12", hoster->address()}, {"127.0.0.13", upward->address()},
                        {"127.0.0.14", deep->address()},   {"127.0.0.15", silent->address()}};
    options.transport.timeoutMs = 200;
    options.transport.tries = 1;
  }
};

struct Collected {
  std::map<std::string, Observation> byKey;
  std::size_t calls = 0;
};

std::string key(const Question& q) {
  return q.name.toString() + " " + rrTypeName(q.type) + (q.parentSide ? " parent" : "");
}

// Submits every question, runs, and returns each answer by question.
Collected resolveAll(AuthoritativeResolver& r, const std::vector<Question>& qs) {
  auto c = std::make_shared<Collected>();
  for (const auto& q : qs) {
    r.submit(q, [c](Observation o) {
      ++c->calls;
      c->byKey[key(o.question)] = std::move(o);
    });
  }
  CHECK(c->calls == 0);  // never from inside submit()
  r.run();
  CHECK(c->calls == qs.size());
  return *c;
}

}  // namespace

TEST_CASE("fifty domains under com. share one walk from the root") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  std::vector<Question> qs;
  for (int i = 0; i < 50; ++i) {
    std::string d = "d" + std::to_string(i) + ".com";
    qs.push_back(ask(d, RRType::NS, true));
    qs.push_back(ask(d, RRType::NS));
    qs.push_back(ask(d, RRType::MX));
  }
  Collected c = resolveAll(r, qs);
  for (const auto& q : qs) {
    CAPTURE(key(q));
    REQUIRE(c.byKey.count(key(q)) == 1);
    CHECK(c.byKey.at(key(q)).outcome == Outcome::Answer);
  }
  const Observation& parent = c.byKey.at("d7.com. NS parent");
  CHECK(parent.server == "127.0.0.11:53 (a.gtld.test.)");
  REQUIRE(parent.answer.size() == 1);
  CHECK(parent.answer.front().name == N("d7.com"));
  CHECK(parent.answer.front().ttl == 172800);
  CHECK(c.byKey.at("d7.com. MX").answer.front().data == "10 mx.d7.com.");

  // One query to the root for all of them; at com. one probe per domain plus one parent-side
  // question per domain (and com.'s own NS set once).
  CHECK(world.root->received().size() == 1);
  CHECK(world.com->received().size() <= 2 * 50 + 1);
  CHECK(r.zonesKnown() == 1 + 1 + 50);

  // Asked again, everything known is reused: only the questions themselves go out.
  std::size_t before = r.queriesSent();
  resolveAll(r, {ask("d7.com", RRType::MX)});
  CHECK(r.queriesSent() == before + 1);
}

TEST_CASE("a long scan trims the caches between batches and reports exactly what it would without") {
  // The engine drains the domains in flight whenever the walk holds more than its cap, then the
  // resolver forgets every zone but the root (and every server channel) and the input resumes.
  std::vector<DomainJob> jobs;
  for (int i = 0; i < 40; ++i) {
    std::string why;
    auto d = normalizeDomain("d" + std::to_string(i) + ".com", &why);
    REQUIRE(d);
    jobs.push_back(DomainJob{*d, {}});
  }
  FakeWorld world;
  AuthoritativeResolver whole(world.options);
  std::vector<DomainReport> expected = checkAll(whole, jobs);
  const std::size_t rootBefore = world.root->received().size();
  CHECK(whole.cacheEntries() > 40);

  AuthoritativeOptions capped = world.options;
  capped.maxCacheEntries = 25;
  AuthoritativeResolver trimmed(capped);
  std::vector<DomainReport> got(jobs.size());
  std::size_t pulled = 0;
  JobSource next = [&]() -> std::optional<DomainJob> {
    if (pulled >= jobs.size()) return std::nullopt;
    return jobs[pulled++];
  };
  ReportSink sink = [&](std::size_t index, DomainReport r) { got[index] = std::move(r); };
  runChecks(trimmed, next, sink, /*maxActiveDomains=*/4);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(jobs[i].input.name.toString());
    CHECK(got[i].verdict == expected[i].verdict);
    REQUIRE(got[i].findings.size() == expected[i].findings.size());
    for (std::size_t k = 0; k < got[i].findings.size(); ++k) {
      CHECK(got[i].findings[k].id == expected[i].findings[k].id);
      CHECK(got[i].findings[k].data == expected[i].findings[k].data);
    }
    CHECK(got[i].records.size() == expected[i].records.size());
  }
  // It really trimmed: the root was asked again after each trim, and what is left at the end
  // is one batch's worth, not the whole input's.
  CHECK(world.root->received().size() - rootBefore > 1);
  CHECK(trimmed.cacheEntries() < whole.cacheEntries());
  // Trimming with a question outstanding does nothing (pointers into the caches are live).
  trimmed.submit(ask("d1.com", RRType::MX), [](Observation) {});
  const std::size_t held = trimmed.cacheEntries();
  trimmed.trim();
  CHECK(trimmed.cacheEntries() == held);
  trimmed.run();
  trimmed.trim();
  CHECK(trimmed.cacheEntries() < held);
  CHECK(trimmed.zonesKnown() == 1);
}

TEST_CASE("a name without a zone of its own gets the enclosing zone's delegation") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("sub.d1.com", RRType::NS, true), ask("sub.d1.com", RRType::NS),
                               ask("nowhere.com", RRType::NS, true)});
  const Observation& p = c.byKey.at("sub.d1.com. NS parent");
  REQUIRE(p.outcome == Outcome::Answer);
  CHECK(p.answer.front().name == N("d1.com"));
  CHECK(targets(p.answer) == std::vector<std::string>{"ns.hoster.com."});
  CHECK(c.byKey.at("sub.d1.com. NS").outcome == Outcome::NoData);
  CHECK(c.byKey.at("nowhere.com. NS parent").outcome == Outcome::NxDomain);
}

TEST_CASE("a server that refers back up is lame, and a walk through it ends as a referral loop") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  auto t0 = std::chrono::steady_clock::now();
  Collected c = resolveAll(r, {ask("upward.com", RRType::MX), ask("www.upward.com", RRType::A)});
  const Observation& mx = c.byKey.at("upward.com. MX");
  CHECK(mx.outcome == Outcome::Lame);
  REQUIRE(mx.perServer.size() == 1);
  CHECK(mx.perServer[0].detail == "not authoritative (referral to com.)");
  CHECK(mx.perServer[0].server == "127.0.0.13:53 (ns.upward.com.)");
  const Observation& www = c.byKey.at("www.upward.com. A");
  CHECK(www.outcome == Outcome::Lame);
  CHECK(www.detail.rfind("referral loop at upward.com.", 0) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));  // answered, no timeouts
}

TEST_CASE("referrals that never end stop at the referral limit") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  std::string name = "deep.com";
  for (char c = 'a'; c <= 'r'; ++c) name = std::string(1, c) + "." + name;
  Collected c = resolveAll(r, {ask(name, RRType::A)});
  const Observation& o = c.byKey.at(name + ". A");
  CHECK(o.outcome == Outcome::ChainTooLong);
  CHECK(o.detail.rfind("referral chain too long (more than 16 referrals)", 0) == 0);
  CHECK(world.deep->received().size() <= 16);
}

TEST_CASE("zones whose nameservers are named in each other, without glue, end as a referral loop") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("ping.com", RRType::MX), ask("pong.com", RRType::MX),
                               ask("ping.com", RRType::NS, true)});
  for (const char* k : {"ping.com. MX", "pong.com. MX", "ping.com. NS parent"}) {
    CAPTURE(k);
    const Observation& o = c.byKey.at(k);
    CHECK(o.outcome == Outcome::NotAvailable);
    CHECK(o.detail.find("referral loop") != std::string::npos);
  }
}

TEST_CASE("a silent server is a timeout for that server; the others' answers still count") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("half.com", RRType::MX)});
  const Observation& o = c.byKey.at("half.com. MX");
  CHECK(o.outcome == Outcome::Answer);
  REQUIRE(o.perServer.size() == 2);
  CHECK(o.perServer[0].server == "127.0.0.12:53 (ns.hoster.com.)");
  CHECK(o.perServer[0].outcome == Outcome::Answer);
  CHECK(o.perServer[1].server == "127.0.0.15:53 (ns.silent.com.)");
  CHECK(o.perServer[1].outcome == Outcome::Timeout);
}

TEST_CASE("a CNAME into another zone is followed there; a CNAME loop across zones ends") {
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("alias.d2.com", RRType::A), ask("loopy.d4.com", RRType::TXT),
                               ask("alias.d2.com", RRType::CNAME)});
  const Observation& a = c.byKey.at("alias.d2.com. A");
  REQUIRE(a.outcome == Outcome::Answer);
  REQUIRE(a.chain.size() == 1);
  CHECK(a.chain[0].target == N("target.d3.com"));
  CHECK(a.answer.front().data == "127.0.0.99");
  CHECK(c.byKey.at("loopy.d4.com. TXT").outcome == Outcome::CnameLoop);
  // Asked for the CNAME itself, it is the answer.
  CHECK(c.byKey.at("alias.d2.com. CNAME").answer.front().target == N("target.d3.com"));
}

TEST_CASE("a CNAME chain across zones never shows more than eight CNAMEs, however it ends") {
  // Five CNAMEs in longa.com, five in longb.com, then an answer (A) or a zone with a silent
  // server (TXT): each observation stops at the bound, with the chain cut there.
  // (The TXT chain ends in NXDOMAIN: the ten links must count though a merged negative
  // answer keeps no chain of its own.)
  FakeWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("c1.longa.com", RRType::A), ask("c1.longa.com", RRType::TXT),
                               ask("c1.longb.com", RRType::A), ask("c1.longb.com", RRType::TXT)});
  for (const char* k : {"c1.longa.com. A", "c1.longa.com. TXT"}) {
    CAPTURE(k);
    const Observation& o = c.byKey.at(k);
    CHECK(o.outcome == Outcome::ChainTooLong);
    CHECK(o.answer.empty());
    CHECK(o.chain.size() <= kMaxCnameChain);
    REQUIRE_FALSE(o.perServer.empty());  // longa.com's server, then (TXT) half.com's silent one
    CHECK(o.perServer[0].outcome == Outcome::ChainTooLong);
    CHECK(o.perServer[0].chain.size() == kMaxCnameChain);  // cut at the bound
    for (const auto& s : o.perServer) CHECK(s.chain.size() <= kMaxCnameChain);
  }
  // Within the bound the same chains are followed to their end, every link shown.
  const Observation& five = c.byKey.at("c1.longb.com. A");
  REQUIRE(five.outcome == Outcome::Answer);
  CHECK(five.chain.size() == 5);
  CHECK(five.answer.front().data == "127.0.0.99");
  const Observation& nx = c.byKey.at("c1.longb.com. TXT");
  CHECK(nx.outcome == Outcome::NxDomain);
  REQUIRE_FALSE(nx.perServer.empty());
  CHECK(nx.perServer[0].chain.size() == 5);
}

TEST_CASE("a root with no reachable server fails every question, in bounded time") {
  AuthoritativeOptions o;
  o.rootHints.servers = {N("a.root.test")};
  o.rootHints.addresses = {{N("a.root.test"), {"::1"}}};  // IPv6 only, and IPv6 is off
  AuthoritativeResolver r(o);
  Collected c = resolveAll(r, {ask("contoso.com", RRType::MX)});
  const Observation& mx = c.byKey.at("contoso.com. MX");
  CHECK(mx.outcome == Outcome::NotAvailable);
  CHECK(mx.detail.find("no address for any nameserver of .") != std::string::npos);
}

TEST_CASE("one server gets at most maxInFlightPerServer queries at once; the rest wait their turn") {
  // One server, authoritative for everything, slow to answer.
  FakeDns slow([](const ParsedQuery& pq, bool) {
    std::string n = lower(pq.qname);
    Message m = base(pq);
    m.aa = true;
    if (n.empty() && pq.qtype == type::NS) {
      m.answer = {nsRecord("", "a.root.test", 518400)};
      m.additional = {aRecord("a.root.test", 127, 0, 0, 10)};
    } else if (pq.qtype == type::A && !n.empty()) {
      m.answer = {aRecord(n, 127, 0, 0, 99)};
    } else {
      m.authority = {soaRecord("", 86400, 86400)};
    }
    Reply r = send(m);
    r.delayMs = 20;
    return r;
  });
  AuthoritativeOptions o;
  o.rootHints.servers = {N("a.root.test")};
  o.rootHints.addresses = {{N("a.root.test"), {"127.0.0.10"}}};
  o.redirect = {{"127.0.0.10", slow.address()}};
  o.maxInFlightPerServer = 8;
  AuthoritativeResolver r(o);
  std::vector<Question> qs;
  for (int i = 0; i < 40; ++i) qs.push_back(ask("h" + std::to_string(i) + ".test", RRType::A));
  Collected c = resolveAll(r, qs);
  for (const auto& q : qs) CHECK(c.byKey.at(key(q)).outcome == Outcome::Answer);
  CHECK(slow.receivedBeforeFirstReply() <= 8);
  CHECK(slow.received().size() >= 40);
}

// ---- amplification bounds (NXNSAttack shapes) -----------------------------------------------

namespace {

// The number in a zone's first label ("shared500.com" → 500).
int countIn(const std::string& zone) {
  std::string digits;
  for (char ch : zone.substr(0, zone.find('.')))
    if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
  return digits.empty() ? 0 : std::stoi(digits);
}

// Like send(), but a message too big for the advertised UDP size goes out truncated (TC=1,
// no records) so that the resolver asks again over TCP, as a real server makes it.
Reply sendSized(Message m, bool tcp) {
  Bytes b = m.encode();
  if (tcp || b.size() <= 1232) return Reply{{b}, 0};
  m.tc = true;
  m.answer.clear();
  m.authority.clear();
  m.additional.clear();
  return Reply{{m.encode()}, 0};
}

// com. delegates
//  - sharedN.com to N names nsK.sharedN.com, all glued to one address (127.0.0.20: `shared`,
//    which serves every sharedN.com);
//  - nxnsN.com to N glue-less names nsK-nxnsN.victim.com; victim.com (127.0.0.21: `victim`)
//    has no such names (NXDOMAIN): the NXNSAttack shape, victim.com the one paying.
struct AmpWorld {
  std::unique_ptr<FakeDns> root, com, shared, victim;
  AuthoritativeOptions options;

  static std::vector<std::string> sharedNames(const std::string& z) {
    std::vector<std::string> out;
    for (int k = 0; k < countIn(z); ++k) out.push_back("ns" + std::to_string(k) + "." + z);
    return out;
  }

  AmpWorld() {
    root = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      std::string n = lower(pq.qname);
      Message m = base(pq);
      if (n.empty() && pq.qtype == type::NS) {
        m.aa = true;
        m.answer = {nsRecord("", "a.root.test", 518400)};
        m.additional = {aRecord("a.root.test", 127, 0, 0, 10)};
      } else {
        m.authority = {nsRecord("com", "a.gtld.test", 172800)};
        m.additional = {aRecord("a.gtld.test", 127, 0, 0, 11)};
      }
      return send(m);
    });
    com = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool tcp) {
      std::string n = lower(pq.qname);
      Message m = base(pq);
      std::string z = zoneOf(n);
      if (n == "com") {
        m.aa = true;
        if (pq.qtype == type::NS) m.answer = {nsRecord("com", "a.gtld.test", 172800)};
        else m.authority = {soaRecord("com", 900, 900)};
      } else if (z == "victim.com") {
        m.authority = {nsRecord(z, "ns.victim.com", 172800)};
        m.additional = {aRecord("ns.victim.com", 127, 0, 0, 21)};
      } else if (z.rfind("shared", 0) == 0) {
        for (const auto& s : sharedNames(z)) {
          m.authority.push_back(nsRecord(z, s, 172800));
          m.additional.push_back(aRecord(s, 127, 0, 0, 20));
        }
      } else if (z.rfind("nxns", 0) == 0) {
        for (int k = 0; k < countIn(z); ++k)
          m.authority.push_back(nsRecord(z, "ns" + std::to_string(k) + "-" + z.substr(0, z.find('.')) +
                                                ".victim.com", 172800));
      } else {
        m.aa = true;
        m.rcode = 3;
        m.authority = {soaRecord("com", 900, 900)};
      }
      return sendSized(m, tcp);
    });
    shared = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool tcp) {
      std::string n = lower(pq.qname);
      std::string z = zoneOf(n);
      Message m = base(pq);
      m.aa = true;
      if (n == z && pq.qtype == type::NS) {
        for (const auto& s : sharedNames(z)) {
          m.answer.push_back(nsRecord(z, s, 3600));
          m.additional.push_back(aRecord(s, 127, 0, 0, 20));
        }
      } else if (n == z && pq.qtype == type::MX) {
        m.answer = {mxRecord(z, 10, "mx." + z, 3600)};
      } else if (n.rfind("ns", 0) == 0 && pq.qtype == type::A) {
        m.answer = {aRecord(n, 127, 0, 0, 20)};
      } else {
        m.authority = {soaRecord(z, 3600, 300)};
      }
      return sendSized(m, tcp);
    });
    victim = std::make_unique<FakeDns>([](const ParsedQuery& pq, bool) {
      std::string n = lower(pq.qname);
      Message m = base(pq);
      m.aa = true;
      if (n == "victim.com" && pq.qtype == type::NS) {
        m.answer = {nsRecord("victim.com", "ns.victim.com", 3600)};
        m.additional = {aRecord("ns.victim.com", 127, 0, 0, 21)};
      } else if (n == "ns.victim.com" && pq.qtype == type::A) {
        m.answer = {aRecord(n, 127, 0, 0, 21)};
      } else if (n == "victim.com" || n == "ns.victim.com") {
        m.authority = {soaRecord("victim.com", 3600, 300)};
      } else {
        m.rcode = 3;
        m.authority = {soaRecord("victim.com", 3600, 300)};
      }
      return send(m);
    });
    options.rootHints.servers = {N("a.root.test")};
    options.rootHints.addresses = {{N("a.root.test"), {"127.0.0.10"}}};
    options.rootHints.ttl = 518400;
    options.redirect = {{"127.0.0.10", root->address()},
                        {"127.0.0.11", com->address()},
                        {"127.0.0.20", shared->address()},
                        {"127.0.0.21", victim->address()}};
    options.transport.timeoutMs = 1000;
    options.transport.tries = 1;
  }
};

DomainReport checkOne(Resolver& r, const std::string& domain) {
  std::string why;
  auto d = normalizeDomain(domain, &why);
  REQUIRE(d);
  std::vector<DomainReport> reports = checkAll(r, {DomainJob{*d, {}}});
  REQUIRE(reports.size() == 1);
  return reports.front();
}

bool hasLookupFailed(const DomainReport& rep, const std::string& text) {
  for (const auto& f : rep.findings)
    if (f.id == FindingId::LookupFailed && f.message.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("nameservers sharing one address are asked once per question, not once per name") {
  AmpWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("shared10.com", RRType::MX)});
  const Observation& mx = c.byKey.at("shared10.com. MX");
  REQUIRE(mx.outcome == Outcome::Answer);
  // Ten names, one address: one server, labelled with every name that has it.
  REQUIRE(mx.perServer.size() == 1);
  CHECK(mx.perServer[0].server.rfind("127.0.0.20:53 (ns0.shared10.com., ns1.shared10.com.", 0) == 0);
  CHECK(mx.perServer[0].server.find("ns9.shared10.com.") != std::string::npos);
  // At that address: the apex NS question (every server of the zone) and the MX, once each.
  CHECK(world.shared->received().size() == 2);
}

TEST_CASE("a delegation to 500 names glued to one address costs that address no query and fails closed") {
  // Before the bound: 6,510 queries to 127.0.0.20 for one domain (every question to each of
  // the 500 names).
  AmpWorld world;
  AuthoritativeResolver r(world.options);
  DomainReport rep = checkOne(r, "shared500.com");
  CHECK(world.shared->received().size() == 0);  // the zone over the bound is not followed at all
  CHECK(r.queriesSent() < 50);
  CHECK(rep.verdict == Verdict::Indeterminate);
  CHECK(hasLookupFailed(rep, "delegation of shared500.com. names 500 nameservers, more than "
                             "offboard's bound of 16; not followed"));
}

TEST_CASE("over the nameserver bound, every question is a non-evidence observation naming the bound") {
  AmpWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("shared17.com", RRType::MX), ask("shared17.com", RRType::NS, true),
                               ask("www.shared17.com", RRType::A), ask("shared16.com", RRType::MX)});
  for (const char* k : {"shared17.com. MX", "shared17.com. NS parent", "www.shared17.com. A"}) {
    CAPTURE(k);
    const Observation& o = c.byKey.at(k);
    CHECK_FALSE(isEvidence(o.outcome));
    CHECK(o.outcome == Outcome::NotAvailable);
    CHECK(o.answer.empty());
    CHECK(o.detail == "the delegation of shared17.com. names 17 nameservers, more than offboard's "
                      "bound of 16; not followed");
  }
  // At the bound it is followed, and every name is there (merged into one address).
  const Observation& ok = c.byKey.at("shared16.com. MX");
  REQUIRE(ok.outcome == Outcome::Answer);
  REQUIRE(ok.perServer.size() == 1);
  CHECK(ok.perServer[0].server.find("ns15.shared16.com.") != std::string::npos);
}

TEST_CASE("500 glue-less nameservers under a victim's zone cost the victim no query (NXNSAttack)") {
  // Before the bound: one query per name to the victim's server, 500 per domain.
  AmpWorld world;
  AuthoritativeResolver r(world.options);
  DomainReport rep = checkOne(r, "nxns500.com");
  CHECK(world.victim->received().size() == 0);
  CHECK(rep.verdict == Verdict::Indeterminate);
  CHECK(hasLookupFailed(rep, "names 500 nameservers, more than offboard's bound of 16"));
}

TEST_CASE("following a referral looks up at most 5 glue-less nameservers, then fails closed") {
  // Twelve glue-less names (within the NS bound), none of which exists: 12 lookups before the
  // bound, 5 now; the walk says which names it did not look up.
  AmpWorld world;
  AuthoritativeResolver r(world.options);
  Collected c = resolveAll(r, {ask("nxns12.com", RRType::MX), ask("nxns12.com", RRType::TXT)});
  std::size_t atVictim = 0;
  for (const auto& q : world.victim->received())
    if (lower(q.query.qname).find("-nxns12.victim.com") != std::string::npos) ++atVictim;
  CHECK(atVictim == 5);
  const Observation& mx = c.byKey.at("nxns12.com. MX");
  CHECK(mx.outcome == Outcome::NotAvailable);
  CHECK(mx.detail.find("no address for any nameserver of nxns12.com.") != std::string::npos);
  CHECK(mx.detail.find("7 more glue-less nameservers not looked up (offboard looks up at most 5 per "
                       "referral)") != std::string::npos);
  CHECK(c.byKey.at("nxns12.com. TXT").detail == mx.detail);  // the failure is cached, not redone
}
