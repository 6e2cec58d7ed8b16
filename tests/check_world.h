// Observations for the checks' unit tests: a domain with nothing of interest, as a starting
// point that each test changes.
#pragma once

#include <string>
#include <vector>

#include "checks/checks.h"
#include "fake_resolver.h"

namespace offboard::testing {

// Every first-round question answered NODATA, and a normal mail setup (MX at
// mx1.newmail.example, its CNAME question answered NODATA) so that no-mx does not fire unless a
// test wants it.
inline std::vector<Observation> quietDomain(const std::string& domain) {
  std::vector<Observation> out;
  for (const auto& q : questionsFor(N(domain), false)) {
    Observation o;
    o.question = q;
    o.outcome = Outcome::NoData;
    o.negativeTtl = 300;
    out.push_back(o);
  }
  for (auto& o : out)
    if (o.question.type == RRType::MX)
      o = obs(domain, RRType::MX, Outcome::Answer, {rec(domain, RRType::MX, "mx1.newmail.example", 3600, 10)});
  out.push_back(obs("mx1.newmail.example", RRType::CNAME, Outcome::NoData));
  return out;
}

}  // namespace offboard::testing
