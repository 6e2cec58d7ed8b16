// CaresTransport under load, against the loopback responder (tests/fakes/fake_dns.h): --rate
// spreads queries over time, the adaptive window halves when a live server's answers need
// retries and grows back when they stop, a dead server is not mistaken for congestion, several
// sockets per server work, and timeouts of thousands of queries in flight come on time.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes/fake_dns.h"
#include "resolvers/cares_transport.h"

using namespace offboard;
using namespace offboard::fakes;

namespace {

using Clock = std::chrono::steady_clock;

Question ask(const std::string& name) {
  Question q;
  q.name = *DnsName::parse(name);
  q.type = RRType::A;
  return q;
}

Reply answer(const ParsedQuery& q, bool) {
  Message m = replyTo(q);
  m.answer = {aRecord(q.qname, 127, 0, 0, 1)};
  return {{m.encode()}, 0};
}

long long msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Sends `n` questions to `server` and runs; returns the outcomes.
std::vector<Outcome> sendAll(CaresTransport& t, const std::string& server, int n,
                             const std::string& prefix = "q") {
  std::vector<Outcome> out;
  for (int i = 0; i < n; ++i) {
    t.send(server, ask(prefix + std::to_string(i) + ".rate.test"), true,
           [&out](WireAnswer w) { out.push_back(w.obs.outcome); });
  }
  t.run();
  return out;
}

}  // namespace

TEST_CASE("--rate: N queries at R per second take about N/R seconds, never a burst") {
  FakeDns dns(answer);
  TransportOptions o;
  o.ratePerSecond = 200;
  o.maxInFlight = 512;
  CaresTransport t(o);
  auto t0 = Clock::now();
  auto outcomes = sendAll(t, dns.address(), 60);
  auto ms = msSince(t0);
  CHECK(std::count(outcomes.begin(), outcomes.end(), Outcome::Answer) == 60);
  // 60 queries at 200/s: 295 ms after the first (one token at the start); a little slack up.
  CHECK(ms >= 270);
  CHECK(ms < 1500);
  // In no 100 ms span did the server see more than 200/s allows (20) plus one tick's bucket (5).
  auto got = dns.received();
  REQUIRE(got.size() == 60);
  for (std::size_t i = 0; i < got.size(); ++i) {
    std::size_t within = 0;
    for (std::size_t j = i; j < got.size() && got[j].at - got[i].at < std::chrono::milliseconds(100);
         ++j)
      ++within;
    CAPTURE(i);
    CHECK(within <= 25);
  }
}

TEST_CASE("without --rate, queries go out as fast as the window allows") {
  FakeDns dns(answer);
  TransportOptions o;
  o.maxInFlight = 100;  // the responder's default socket buffer holds about 250 queries
  CaresTransport t(o);
  auto t0 = Clock::now();
  auto outcomes = sendAll(t, dns.address(), 300);
  CHECK(std::count(outcomes.begin(), outcomes.end(), Outcome::Answer) == 300);
  CHECK(t.stats().retries == 0);
  CHECK(t.stats().window == 100);
  CHECK(t.stats().peakInFlight == 100);
  CHECK(msSince(t0) < 1000);
}

TEST_CASE("lost first tries shrink the window; clean answers grow it back") {
  // The responder drops the first try of every query of the first batch (a full socket
  // buffer does that) and answers the retry; the second batch is answered at once.
  std::mutex mu;
  std::set<std::pair<std::uint16_t, std::string>> seen;
  FakeDns dns([&](const ParsedQuery& q, bool tcp) -> Reply {
    if (q.qname.rfind("lossy", 0) == 0) {
      std::lock_guard<std::mutex> lock(mu);
      if (seen.insert({q.id, q.qname}).second) return {};  // first try: dropped
    }
    return answer(q, tcp);
  });
  TransportOptions o;
  o.timeoutMs = 100;
  o.tries = 3;
  o.maxInFlight = 128;
  CaresTransport t(o);
  auto lossy = sendAll(t, dns.address(), 300, "lossy");
  CHECK(std::count(lossy.begin(), lossy.end(), Outcome::Answer) == 300);  // retries saved all
  TransportStats s = t.stats();
  CHECK(s.retries >= 300);
  CHECK(s.windowCuts >= 1);
  CHECK(s.minWindow <= 64);
  CHECK(s.window < 128);
  const std::size_t shrunk = s.window;

  auto clean = sendAll(t, dns.address(), 3000, "clean");
  CHECK(std::count(clean.begin(), clean.end(), Outcome::Answer) == 3000);
  s = t.stats();
  CHECK(s.window > shrunk);  // grown back by clean answers
  CHECK(s.minWindow == shrunk);
}

TEST_CASE("a fixed window stays fixed whatever is lost") {
  std::mutex mu;
  std::set<std::pair<std::uint16_t, std::string>> seen;
  FakeDns dns([&](const ParsedQuery& q, bool tcp) -> Reply {
    std::lock_guard<std::mutex> lock(mu);
    if (seen.insert({q.id, q.qname}).second) return {};
    return answer(q, tcp);
  });
  TransportOptions o;
  o.timeoutMs = 100;
  o.tries = 3;
  o.maxInFlight = 64;
  o.adaptiveWindow = false;
  CaresTransport t(o);
  auto got = sendAll(t, dns.address(), 100);
  CHECK(std::count(got.begin(), got.end(), Outcome::Answer) == 100);
  CHECK(t.stats().windowCuts == 0);
  CHECK(t.stats().window == 64);
  CHECK(t.stats().peakInFlight == 64);
}

TEST_CASE("a server that never answers is dead, not congested: the window is not cut") {
  FakeDns dead([](const ParsedQuery&, bool) { return Reply{}; });
  TransportOptions o;
  o.timeoutMs = 100;
  o.tries = 2;
  o.maxInFlight = 256;
  CaresTransport t(o);
  auto got = sendAll(t, dead.address(), 300);
  CHECK(std::count(got.begin(), got.end(), Outcome::Timeout) == 300);
  CHECK(t.stats().retries == 300);
  CHECK(t.stats().windowCuts == 0);
  CHECK(t.stats().window == 256);
  CHECK(t.stats().peakInFlight == 256);
}

TEST_CASE("thousands of queries in flight time out on time (a fixed tick, no walk)") {
  FakeDns dead([](const ParsedQuery&, bool) { return Reply{}; });
  TransportOptions o;
  o.timeoutMs = 200;
  o.tries = 1;
  o.maxInFlight = 4096;
  o.adaptiveWindow = false;
  CaresTransport t(o);
  auto t0 = Clock::now();
  auto got = sendAll(t, dead.address(), 3000);
  auto ms = msSince(t0);
  // Every one of 3000 queries in flight at once times out on time: timeouts are driven by the
  // transport's tick, not by walking the queries.
  CHECK(std::count(got.begin(), got.end(), Outcome::Timeout) == 3000);
  CHECK(ms >= 190);
  CHECK(ms < 2000);
  CHECK(t.stats().timedOut == 3000);
  CHECK(t.stats().peakInFlight == 3000);
}

TEST_CASE("several sockets per server share the queries and keep IDs unique per socket") {
  FakeDns dns(answer);
  TransportOptions o;
  o.socketsPerServer = 4;
  o.maxInFlight = 128;
  CaresTransport t(o);
  auto got = sendAll(t, dns.address(), 800);
  CHECK(std::count(got.begin(), got.end(), Outcome::Answer) == 800);
  CHECK(t.stats().answered == 800);
  CHECK(t.stats().sent == 800);
  // Spelling the same server differently reuses its sockets (no new channel per spelling).
  auto again = sendAll(t, "127.0.0.1:" + std::to_string(dns.port()), 10, "again");
  CHECK(std::count(again.begin(), again.end(), Outcome::Answer) == 10);
}
