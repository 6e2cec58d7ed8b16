// StubResolver and CaresTransport against a real responder on loopback (tests/fakes/fake_dns.h):
// every server misbehaviour of the outcome matrix gives its outcome and never NoData/NxDomain,
// servers are tried in order, TC goes to TCP, and the window, IDs and deadline hold.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "fake_resolver.h"
#include "fakes/fake_dns.h"
#include "resolvers/stub_resolver.h"

using namespace offboard;
using namespace offboard::fakes;
using Ms = std::chrono::milliseconds;

namespace {

TransportOptions fast(int timeoutMs = 300, int tries = 2) {
  TransportOptions o;
  o.timeoutMs = timeoutMs;
  o.tries = tries;
  return o;
}

Question ask(std::string_view name, RRType t) {
  Question q;
  q.name = *DnsName::parse(name);
  q.type = t;
  return q;
}

long long elapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - since).count();
}

Observation resolveOne(Resolver& r, const Question& q) {
  Observation out;
  int calls = 0;
  r.submit(q, [&](Observation o) {
    out = std::move(o);
    ++calls;
  });
  CHECK(calls == 0);  // never from inside submit()
  r.run();
  CHECK(calls == 1);
  return out;
}

Bytes encodeReply(const ParsedQuery& q, const std::function<void(Message&)>& fill) {
  Message m = replyTo(q);
  fill(m);
  return m.encode();
}

// The normal answer: two MX records (or one A) for whatever was asked.
Message normalAnswer(const ParsedQuery& q) {
  Message m = replyTo(q);
  if (q.qtype == type::MX) {
    m.answer = {mxRecord(q.qname, 0, "contoso-com.mail.protection.outlook.com", 3600),
                mxRecord(q.qname, 10, "backup.contoso.com", 3600)};
  } else {
    m.answer = {aRecord(q.qname, 192, 0, 2, 1)};
  }
  return m;
}

Reply normal(const ParsedQuery& q, bool) { return {{normalAnswer(q).encode()}, 0}; }
Reply rcodeOnly(const ParsedQuery& q, unsigned rcode) {
  return {{encodeReply(q, [&](Message& m) { m.rcode = rcode; })}, 0};
}
Reply silent(const ParsedQuery&, bool) { return {}; }

// A port on 127.0.0.1 with nothing listening (bound, read back, closed).
std::string closedPort() {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

}  // namespace

TEST_CASE("server addresses: IPs with optional ports become canonical IP:PORT; names do not") {
  struct Row {
    const char* in;
    const char* out;  // nullptr = rejected
  };
  const Row rows[] = {
      {"127.0.0.53", "127.0.0.53:53"},
      {"127.0.0.1:5353", "127.0.0.1:5353"},
      {"[::1]:53", "[::1]:53"},
      {"::1", "[::1]:53"},
      {"[::1]", "[::1]:53"},
      {"[0:0::1]:8053", "[::1]:8053"},
      {"localhost", nullptr},
      {"dns.google:53", nullptr},
      {"127.0.0.1:0", nullptr},
      {"127.0.0.1:65536", nullptr},
      {"127.0.0.1:", nullptr},
      {"127.0.0.1:53x", nullptr},
      {"127.0.0.1:-1", nullptr},
      {"127.1", nullptr},
      {"[127.0.0.1]:53", nullptr},
      {"[::1]53", nullptr},
      {"[::1", nullptr},
      {"fe80::1%eth0", nullptr},
      {"", nullptr},
      {" 127.0.0.1", nullptr},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.in));
    std::string err;
    auto got = StubResolver::parseServerAddress(row.in, &err);
    if (row.out) {
      REQUIRE(got.has_value());
      CHECK(*got == row.out);
    } else {
      CHECK_FALSE(got.has_value());
      CHECK_FALSE(err.empty());
    }
  }
  CHECK_THROWS_AS(StubResolver({"127.0.0.1", "not-an-address"}, fast()), std::invalid_argument);
}

TEST_CASE("a normal answer is evidence from the server that gave it, asked with RD=1 and EDNS") {
  FakeDns dns(normal);
  StubResolver r({dns.address()}, fast());
  CHECK(r.describe() == "recursive " + dns.address());
  CHECK_FALSE(r.seesParentSide());
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  CHECK(obs.outcome == Outcome::Answer);
  CHECK(obs.server == dns.address());
  REQUIRE(obs.answer.size() == 2);
  CHECK(obs.answer[0].target == *DnsName::parse("contoso-com.mail.protection.outlook.com"));
  auto got = dns.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0].query.rd);
  CHECK(got[0].query.hasOpt);
  CHECK(got[0].query.optPayload == 1232);
  CHECK(got[0].query.qname == "contoso.com");
  CHECK(got[0].query.qtype == type::MX);
  CHECK_FALSE(got[0].tcp);
}

TEST_CASE("with EDNS off the query carries no OPT") {
  FakeDns dns(normal);
  auto o = fast();
  o.edns = false;
  StubResolver r({dns.address()}, o);
  CHECK(resolveOne(r, ask("contoso.com", RRType::MX)).outcome == Outcome::Answer);
  REQUIRE(dns.received().size() == 1);
  CHECK_FALSE(dns.received()[0].query.hasOpt);
  CHECK(dns.received()[0].query.arcount == 0);
}

TEST_CASE("NXDOMAIN and NODATA from a server are evidence with the SOA's negative TTL") {
  FakeDns dns([](const ParsedQuery& q, bool) {
    return Reply{{encodeReply(q, [&](Message& m) {
                   m.rcode = q.qname.rfind("gone.", 0) == 0 ? 3 : 0;
                   m.authority = {soaRecord("contoso.com", 3600, 120)};
                 })},
                 0};
  });
  StubResolver r({dns.address()}, fast());
  auto nx = resolveOne(r, ask("gone.contoso.com", RRType::A));
  CHECK(nx.outcome == Outcome::NxDomain);
  CHECK(nx.negativeTtl == 120u);
  auto nodata = resolveOne(r, ask("contoso.com", RRType::AAAA));
  CHECK(nodata.outcome == Outcome::NoData);
  CHECK(nodata.negativeTtl == 120u);
}

TEST_CASE("each server misbehaviour gives its outcome, never NoData or NxDomain") {
  struct Row {
    const char* what;
    FakeDns::Handler handler;
    Outcome expected;
    const char* detail;
  };
  const std::vector<Row> rows = {
      {"SERVFAIL", [](const ParsedQuery& q, bool) { return rcodeOnly(q, 2); }, Outcome::ServFail,
       "SERVFAIL"},
      {"REFUSED", [](const ParsedQuery& q, bool) { return rcodeOnly(q, 5); }, Outcome::Refused,
       "REFUSED"},
      {"NOTIMP", [](const ParsedQuery& q, bool) { return rcodeOnly(q, 4); }, Outcome::NotImp,
       "NOTIMP"},
      {"no answer at all", silent, Outcome::Timeout, "no answer"},
      {"QR=0 (the query echoed back)",
       [](const ParsedQuery& q, bool) {
         return Reply{{encodeReply(q, [](Message& m) { m.qr = false; })}, 0};
       },
       Outcome::Malformed, "QR"},
      {"trailing garbage",
       [](const ParsedQuery& q, bool) {
         Message m = normalAnswer(q);
         m.trailing = {1, 2, 3, 4, 5, 6, 7, 8};
         return Reply{{m.encode()}, 0};
       },
       Outcome::Malformed, "trailing"},
      {"NOERROR without answer or SOA",
       [](const ParsedQuery& q, bool) { return rcodeOnly(q, 0); }, Outcome::Malformed, "SOA"},
      {"NXDOMAIN without SOA", [](const ParsedQuery& q, bool) { return rcodeOnly(q, 3); },
       Outcome::Malformed, "SOA"},
      {"an answer for another question (c-ares drops it)",
       [](const ParsedQuery& q, bool) {
         return Reply{{encodeReply(q, [](Message& m) { m.questions[0].name = "fabrikam.com"; })},
                      0};
       },
       Outcome::Timeout, ""},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    FakeDns dns(row.handler);
    StubResolver r({dns.address()}, fast());
    auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
    CHECK(obs.outcome == row.expected);
    CHECK_FALSE(isEvidence(obs.outcome));
    CHECK(obs.answer.empty());
    CHECK(obs.detail.find(row.detail) != std::string::npos);
    CHECK(obs.detail.find(dns.address()) != std::string::npos);  // the failure names the server
  }
}

TEST_CASE("a silent server costs the timeout budget, not less and not much more") {
  FakeDns dns(silent);
  StubResolver r({dns.address()}, fast(200, 2));
  auto t0 = std::chrono::steady_clock::now();
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  auto ms = elapsedMs(t0);
  CHECK(obs.outcome == Outcome::Timeout);
  // c-ares 1.18.1 doubles the timeout on the second try: 200 + 400 ms.
  CHECK(ms >= 550);
  CHECK(ms < 1500);
  CHECK(dns.count(false) == 2);  // both tries reached the server
}

TEST_CASE("a 0-byte datagram before the answer does not end the query (CVE-2023-32067)") {
  FakeDns dns([](const ParsedQuery& q, bool) {
    return Reply{{Bytes{}, normalAnswer(q).encode()}, 0};
  });
  StubResolver r({dns.address()}, fast());
  CHECK(resolveOne(r, ask("contoso.com", RRType::MX)).outcome == Outcome::Answer);
}

TEST_CASE("a wrong-ID answer first is ignored and the real answer wins") {
  FakeDns dns([](const ParsedQuery& q, bool) {
    Message spoof = normalAnswer(q);
    spoof.id = static_cast<std::uint16_t>(q.id ^ 0x5a5a);
    spoof.answer = {mxRecord(q.qname, 0, "mx.evil.example")};
    return Reply{{spoof.encode(), normalAnswer(q).encode()}, 0};
  });
  StubResolver r({dns.address()}, fast());
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  CHECK(obs.outcome == Outcome::Answer);
  REQUIRE(obs.answer.size() == 2);
  for (const auto& rec : obs.answer) CHECK(rec.target != *DnsName::parse("mx.evil.example"));
}

TEST_CASE("TC=1 over UDP goes to TCP and only the TCP answer is used") {
  FakeDns dns([](const ParsedQuery& q, bool tcp) {
    if (tcp) return normal(q, tcp);
    Message decoy = replyTo(q);
    decoy.tc = true;
    decoy.answer = {mxRecord(q.qname, 0, "decoy.contoso.com")};
    return Reply{{decoy.encode()}, 0};
  });
  StubResolver r({dns.address()}, fast());
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  CHECK(obs.outcome == Outcome::Answer);
  REQUIRE(obs.answer.size() == 2);
  for (const auto& rec : obs.answer) CHECK(rec.target != *DnsName::parse("decoy.contoso.com"));
  CHECK(dns.count(false) == 1);
  CHECK(dns.count(true) == 1);  // c-ares itself moved the query to TCP
}

TEST_CASE("a TC answer even over TCP is asked once more over TCP, then is Malformed") {
  FakeDns dns([](const ParsedQuery& q, bool) {
    return Reply{{encodeReply(q, [&](Message& m) {
                   m.tc = true;
                   m.answer = {mxRecord(q.qname, 0, "decoy.contoso.com")};
                 })},
                 0};
  });
  StubResolver r({dns.address()}, fast());
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  CHECK(obs.outcome == Outcome::Malformed);
  CHECK(obs.detail.find("truncated") != std::string::npos);
  CHECK(obs.answer.empty());
  CHECK(dns.count(false) == 1);
  CHECK(dns.count(true) == 2);  // c-ares' own TCP retry, then ours on the TCP-only channel
}

TEST_CASE("an answer over 512 octets is taken over UDP with EDNS, and re-asked over TCP without") {
  auto big = [](const ParsedQuery& q, bool) {
    Message m = replyTo(q);
    m.answer = {txtRecord(q.qname, {std::string(250, 'a'), std::string(250, 'b'),
                                    std::string(250, 'c')})};
    return Reply{{m.encode()}, 0};
  };
  for (bool edns : {true, false}) {
    CAPTURE(edns);
    FakeDns dns(big);
    auto o = fast();
    o.edns = edns;
    StubResolver r({dns.address()}, o);
    auto obs = resolveOne(r, ask("contoso.com", RRType::TXT));
    CHECK(obs.outcome == Outcome::Answer);
    REQUIRE(obs.answer.size() == 1);
    CHECK(obs.answer[0].strings.size() == 3);
    CHECK(dns.count(true) == (edns ? 0u : 1u));
  }
}

TEST_CASE("after a FORMERR to EDNS, c-ares retries without OPT and later queries follow") {
  // A server that rejects any query with an OPT record (pre-EDNS software, RFC 6891 §7).
  FakeDns dns([](const ParsedQuery& q, bool tcp) {
    if (q.hasOpt) return rcodeOnly(q, 1);
    return normal(q, tcp);
  });
  StubResolver r({dns.address()}, fast());
  CHECK(resolveOne(r, ask("contoso.com", RRType::MX)).outcome == Outcome::Answer);
  CHECK(resolveOne(r, ask("fabrikam.com", RRType::MX)).outcome == Outcome::Answer);
  auto got = dns.received();
  REQUIRE(got.size() == 3);
  CHECK(got[0].query.hasOpt);
  CHECK_FALSE(got[1].query.hasOpt);
  CHECK(got[1].query.id == got[0].query.id);  // c-ares' own retry of the same query
  CHECK(got[1].query.qname == "contoso.com");
  CHECK_FALSE(got[2].query.hasOpt);           // our next query follows the channel
  CHECK(got[2].query.qname == "fabrikam.com");
}

TEST_CASE("queries already in flight with OPT when EDNS is switched off are asked again without") {
  FakeDns dns([](const ParsedQuery& q, bool tcp) {
    Reply r = q.hasOpt ? rcodeOnly(q, 1) : normal(q, tcp);
    r.delayMs = 20;  // all five are sent before the first FORMERR arrives
    return r;
  });
  StubResolver r({dns.address()}, fast());
  std::vector<Observation> results;
  for (int i = 0; i < 5; ++i) {
    r.submit(ask("f" + std::to_string(i) + ".contoso.com", RRType::MX),
             [&](Observation o) { results.push_back(std::move(o)); });
  }
  r.run();
  REQUIRE(results.size() == 5);
  for (const auto& o : results) CHECK(o.outcome == Outcome::Answer);
  std::size_t withOpt = 0;
  for (const auto& got : dns.received()) withOpt += got.query.hasOpt;
  CHECK(withOpt == 5);
  CHECK(dns.received().size() == 10);
}

TEST_CASE("the next server is asked when the first times out or fails") {
  FakeDns good(normal);
  SUBCASE("first server silent") {
    FakeDns bad(silent);
    StubResolver r({bad.address(), good.address()}, fast(150, 1));
    auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
    CHECK(obs.outcome == Outcome::Answer);
    CHECK(obs.server == good.address());
    CHECK(bad.count(false) == 1);
  }
  SUBCASE("first server SERVFAIL") {
    FakeDns bad([](const ParsedQuery& q, bool) { return rcodeOnly(q, 2); });
    StubResolver r({bad.address(), good.address()}, fast());
    auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
    CHECK(obs.outcome == Outcome::Answer);
    CHECK(obs.server == good.address());
  }
  SUBCASE("first server answers: the second is never asked") {
    FakeDns second(normal);
    StubResolver r({good.address(), second.address()}, fast());
    CHECK(resolveOne(r, ask("contoso.com", RRType::MX)).outcome == Outcome::Answer);
    CHECK(second.received().empty());
  }
  SUBCASE("NXDOMAIN from the first is evidence: no second opinion is sought") {
    FakeDns nx([](const ParsedQuery& q, bool) {
      return Reply{{encodeReply(q, [](Message& m) {
                     m.rcode = 3;
                     m.authority = {soaRecord("contoso.com", 300, 300)};
                   })},
                   0};
    });
    StubResolver r({nx.address(), good.address()}, fast());
    CHECK(resolveOne(r, ask("contoso.com", RRType::MX)).outcome == Outcome::NxDomain);
    CHECK(good.received().empty());
  }
}

TEST_CASE("when every server fails, the last failure is reported and every server is named") {
  FakeDns a([](const ParsedQuery& q, bool) { return rcodeOnly(q, 2); });
  FakeDns b([](const ParsedQuery& q, bool) { return rcodeOnly(q, 5); });
  StubResolver r({a.address(), b.address()}, fast());
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  CHECK(obs.outcome == Outcome::Refused);
  CHECK(obs.server == b.address());
  CHECK(obs.detail.find(a.address() + ": servfail") != std::string::npos);
  CHECK(obs.detail.find(b.address() + ": refused") != std::string::npos);
}

TEST_CASE("a closed port is Unreachable well before the timeout") {
  StubResolver r({closedPort()}, fast(2000, 2));
  auto t0 = std::chrono::steady_clock::now();
  auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
  CHECK(obs.outcome == Outcome::Unreachable);
  CHECK(elapsedMs(t0) < 1000);
}

TEST_CASE("200 questions are all in flight at once, with distinct query IDs") {
  FakeDns dns([](const ParsedQuery& q, bool tcp) {
    Reply r = normal(q, tcp);
    r.delayMs = 400;  // every answer waits: the server sees all questions before answering any
    return r;
  });
  StubResolver r({dns.address()}, fast(3000, 1));
  std::vector<Observation> results;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    r.submit(ask("host" + std::to_string(i) + ".contoso.com", RRType::A),
             [&](Observation o) { results.push_back(std::move(o)); });
  }
  r.run();
  auto ms = elapsedMs(t0);
  REQUIRE(results.size() == 200);
  for (const auto& o : results) CHECK(o.outcome == Outcome::Answer);
  CHECK(dns.receivedBeforeFirstReply() == 200);
  CHECK(r.transportStats()->peakInFlight == 200);
  CHECK(ms < 2500);  // one delay, not 200 of them
  std::set<std::uint16_t> ids;
  for (const auto& got : dns.received()) ids.insert(got.query.id);
  CHECK(ids.size() == 200);
}

TEST_CASE("the wait hook runs while run() waits for a slow server, never inside a callback") {
  FakeDns dns([](const ParsedQuery& q, bool tcp) {
    Reply r = normal(q, tcp);
    r.delayMs = 150;
    return r;
  });
  StubResolver r({dns.address()}, fast(2000, 1));
  int answered = 0, hooked = 0, hookedWhileAsked = 0;
  bool inCallback = false;
  r.setWaitHook([&] {
    CHECK_FALSE(inCallback);
    ++hooked;
    hookedWhileAsked += answered < 3;
  });
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    r.submit(ask("h" + std::to_string(i) + ".contoso.com", RRType::A), [&](Observation o) {
      inCallback = true;
      answered += o.outcome == Outcome::Answer;
      inCallback = false;
    });
  }
  r.run();
  CHECK(answered == 3);
  CHECK(elapsedMs(t0) >= 150);
  CHECK(hookedWhileAsked >= 1);  // it ran while the answers were still on their way
  // Cleared, it is not called again.
  const int before = hooked;
  r.setWaitHook({});
  resolveOne(r, ask("after.contoso.com", RRType::A));
  CHECK(hooked == before);
}

TEST_CASE("the window bounds the queries in flight; the rest wait their turn") {
  FakeDns dns([](const ParsedQuery& q, bool tcp) {
    Reply r = normal(q, tcp);
    r.delayMs = 30;
    return r;
  });
  auto o = fast();
  o.maxInFlight = 10;
  StubResolver r({dns.address()}, o);
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    r.submit(ask("w" + std::to_string(i) + ".contoso.com", RRType::A), [&](Observation obs) {
      answered += obs.outcome == Outcome::Answer;
    });
  }
  r.run();
  CHECK(answered == 50);
  CHECK(r.transportStats()->peakInFlight == 10);
  CHECK(dns.receivedBeforeFirstReply() == 10);
}

TEST_CASE("the transport's figures reach a caller through the Resolver seam; a fake has none") {
  FakeDns answering(normal);
  FakeDns quiet(silent);
  StubResolver r({answering.address()}, fast());
  const Resolver& seam = r;
  REQUIRE(seam.transportStats());
  CHECK(seam.transportStats()->sent == 0);
  for (int i = 0; i < 3; ++i) resolveOne(r, ask("s" + std::to_string(i) + ".contoso.com", RRType::A));
  std::optional<TransportStats> s = seam.transportStats();
  REQUIRE(s);
  CHECK(s->sent == 3);
  CHECK(s->answered == 3);
  CHECK(s->retries == 0);
  CHECK(s->timedOut == 0);
  CHECK(s->window == fast().maxInFlight);

  StubResolver lost({quiet.address()}, fast(100, 2));
  CHECK(resolveOne(lost, ask("lost.contoso.com", RRType::A)).outcome == Outcome::Timeout);
  s = static_cast<const Resolver&>(lost).transportStats();
  REQUIRE(s);
  CHECK(s->sent == 1);
  CHECK(s->answered == 0);
  CHECK(s->retries == 1);
  CHECK(s->timedOut == 1);

  // A source without a transport (zone files, this fake) reports none: scan --stats prints
  // nothing for it rather than zeros.
  offboard::testing::FakeResolver fake;
  CHECK_FALSE(static_cast<const Resolver&>(fake).transportStats());
}

TEST_CASE("callbacks may submit follow-up questions; run() returns when all are done") {
  FakeDns dns(normal);
  StubResolver r({dns.address()}, fast());
  std::vector<std::string> order;
  r.submit(ask("contoso.com", RRType::MX), [&](Observation o) {
    order.push_back("mx");
    for (const auto& rec : o.answer) {
      Question follow;
      follow.name = rec.target;
      follow.type = RRType::A;
      r.submit(follow, [&](Observation a) {
        order.push_back(a.outcome == Outcome::Answer ? "a" : "fail");
      });
    }
  });
  r.run();
  CHECK(order == std::vector<std::string>{"mx", "a", "a"});
}

TEST_CASE("a callback that throws: run() passes it on, and every other answer comes once") {
  FakeDns dns(normal);
  StubResolver r({dns.address()}, fast());
  std::vector<int> calls(20, 0);
  for (int i = 0; i < 20; ++i) {
    r.submit(ask("n" + std::to_string(i) + ".contoso.com", RRType::A), [&, i](Observation o) {
      ++calls[static_cast<std::size_t>(i)];
      CHECK(o.outcome == Outcome::Answer);
      if (i == 3 || i == 11) throw std::runtime_error("callback " + std::to_string(i));
    });
  }
  int thrown = 0;
  for (int round = 0; round < 5; ++round) {
    try {
      r.run();
      break;
    } catch (const std::runtime_error&) {
      ++thrown;
    }
  }
  CHECK(thrown == 2);
  CHECK(calls == std::vector<int>(20, 1));
}

TEST_CASE("the overall deadline bounds run(): what is left ends as Timeout") {
  FakeDns dns(silent);
  auto o = fast(1000, 2);  // 3 s per query without a deadline
  o.overallDeadlineMs = 300;
  o.maxInFlight = 5;       // some wait in the queue, some are in flight at the deadline
  StubResolver r({dns.address()}, o);
  std::vector<Observation> results;
  for (int i = 0; i < 20; ++i) {
    r.submit(ask("d" + std::to_string(i) + ".contoso.com", RRType::A),
             [&](Observation obs) { results.push_back(std::move(obs)); });
  }
  auto t0 = std::chrono::steady_clock::now();
  r.run();
  auto ms = elapsedMs(t0);
  CHECK(ms >= 290);
  CHECK(ms < 600);
  REQUIRE(results.size() == 20);
  for (const auto& obs : results) {
    CHECK(obs.outcome == Outcome::Timeout);
    CHECK(obs.detail.find("overall deadline") != std::string::npos);
  }
  CHECK(dns.received().size() == 5);
}

TEST_CASE("questions the stub cannot ask end as NotAvailable, delivered from run()") {
  SUBCASE("no server configured") {
    StubResolver r({}, fast());
    auto obs = resolveOne(r, ask("contoso.com", RRType::MX));
    CHECK(obs.outcome == Outcome::NotAvailable);
    CHECK(obs.detail.find("no recursive server") != std::string::npos);
  }
  SUBCASE("parent side of a delegation") {
    FakeDns dns(normal);
    StubResolver r({dns.address()}, fast());
    Question q = ask("contoso.com", RRType::NS);
    q.parentSide = true;
    auto obs = resolveOne(r, q);
    CHECK(obs.outcome == Outcome::NotAvailable);
    CHECK(dns.received().empty());
  }
}

TEST_CASE("the transport sends to any server per query and reports a bad address per query") {
  FakeDns one(normal), two(normal);
  CaresTransport t(fast());
  std::vector<WireAnswer> got(3);
  t.send(one.address(), ask("contoso.com", RRType::MX), true, [&](WireAnswer w) { got[0] = w; });
  t.send(two.address(), ask("contoso.com", RRType::MX), false, [&](WireAnswer w) { got[1] = w; },
         /*tcpOnly=*/true);
  t.send("ns1.contoso.com", ask("contoso.com", RRType::MX), false,
         [&](WireAnswer w) { got[2] = w; });
  t.run();
  CHECK(got[0].obs.outcome == Outcome::Answer);
  CHECK(got[0].obs.server == one.address());
  CHECK(got[1].obs.outcome == Outcome::Answer);
  CHECK(got[1].obs.server == two.address());
  CHECK(got[2].obs.outcome == Outcome::NotAvailable);
  CHECK(got[2].obs.detail.find("host names") != std::string::npos);
  REQUIRE(one.received().size() == 1);
  CHECK(one.received()[0].query.rd);
  CHECK_FALSE(one.received()[0].tcp);
  REQUIRE(two.received().size() == 1);
  CHECK_FALSE(two.received()[0].query.rd);
  CHECK(two.received()[0].tcp);
  CHECK(t.outstanding() == 0);
}

TEST_CASE("resolver environment variables do not change the transport's settings") {
  // c-ares reads RES_OPTIONS and LOCALDOMAIN for anything left unset; we set everything.
  setenv("RES_OPTIONS", "timeout:30 attempts:5 ndots:9", 1);
  setenv("LOCALDOMAIN", "contoso.com", 1);
  {
    FakeDns dns(silent);
    StubResolver r({dns.address()}, fast(100, 1));
    auto t0 = std::chrono::steady_clock::now();
    auto obs = resolveOne(r, ask("host", RRType::A));
    CHECK(obs.outcome == Outcome::Timeout);
    CHECK(elapsedMs(t0) < 1000);
    REQUIRE(dns.received().size() == 1);
    CHECK(dns.received()[0].query.qname == "host");  // no search domain appended
  }
  unsetenv("RES_OPTIONS");
  unsetenv("LOCALDOMAIN");
}
