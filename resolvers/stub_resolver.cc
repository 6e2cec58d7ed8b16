#include "resolvers/stub_resolver.h"

#include <stdexcept>
#include <utility>

namespace offboard {

namespace {
// A stub passes on the Observation only: the authority and additional sections are not needed.
// Its channels (a few per configured server) serve the whole run: their sockets stay open.
TransportOptions stubOptions(TransportOptions o) {
  o.keepSections = false;
  o.stayOpen = true;
  return o;
}
}  // namespace

StubResolver::StubResolver(std::vector<std::string> servers, TransportOptions options)
    : transport_(stubOptions(options)) {
  for (const auto& s : servers) {
    std::string err;
    auto canonical = parseServerAddress(s, &err);
    if (!canonical) throw std::invalid_argument(err);
    servers_.push_back(std::move(*canonical));
  }
}

std::optional<std::string> StubResolver::parseServerAddress(std::string_view text,
                                                            std::string* error) {
  auto ep = parseServerEndpoint(text, error);
  if (!ep) return std::nullopt;
  return ep->canonical;
}

void StubResolver::submit(const Question& q, Callback cb) {
  if (q.parentSide || !q.servers.empty() || servers_.empty()) {
    Observation obs;
    obs.question = q;
    obs.outcome = Outcome::NotAvailable;
    obs.server = describe();
    if (q.parentSide) {
      obs.detail = "a recursive resolver does not show the parent side of a delegation";
    } else if (!q.servers.empty()) {
      // Asking it would give the answer of the servers the name is delegated to now (Question::servers).
      std::string names;
      for (const auto& n : q.servers) names += (names.empty() ? "" : ", ") + n.toString();
      obs.detail = "a recursive resolver answers from the servers the name is delegated to now, not from " +
                   names + " (--authoritative asks them)";
    } else {
      obs.detail = "no recursive server configured";
    }
    local_.emplace_back(std::move(obs), std::move(cb));
    return;
  }
  ask(q, acquire(std::move(cb)));
}

StubResolver::Pending* StubResolver::acquire(Callback cb) {
  Pending* p;
  if (free_.empty()) {
    p = &pending_.emplace_back();
  } else {
    p = free_.back();
    free_.pop_back();
  }
  p->index = 0;
  p->failures.clear();
  p->cb = std::move(cb);
  return p;
}

StubResolver::Callback StubResolver::release(Pending* p) {
  Callback cb = std::move(p->cb);
  p->cb = nullptr;
  free_.push_back(p);
  return cb;
}

void StubResolver::ask(const Question& q, Pending* p) {
  // The question comes back in the answer (obs.question): not captured, one copy fewer of a
  // name per query.
  transport_.send(servers_[p->index], q, /*rd=*/true, [this, p](WireAnswer&& w) {
    Observation& obs = w.obs;
    if (isEvidence(obs.outcome)) {
      release(p)(std::move(obs));
      return;
    }
    // Keep every server's failure: the report must say who failed and how.
    std::string& failures = p->failures;
    if (!failures.empty()) failures += "; ";
    failures += servers_[p->index] + ": " + std::string(outcomeName(obs.outcome));
    if (!obs.detail.empty()) failures += " (" + obs.detail + ")";
    if (p->index + 1 < servers_.size()) {
      ++p->index;
      ask(obs.question, p);
      return;
    }
    obs.detail = std::move(failures);
    release(p)(std::move(obs));
  });
}

void StubResolver::run() {
  do {
    while (!local_.empty()) {
      auto [obs, cb] = std::move(local_.front());
      local_.pop_front();
      if (cb) cb(std::move(obs));
    }
    transport_.run();
  } while (!local_.empty());
}

std::string StubResolver::describe() const {
  std::string s = "recursive";
  for (std::size_t i = 0; i < servers_.size(); ++i) s += (i ? ", " : " ") + servers_[i];
  if (servers_.empty()) s += " (none)";
  return s;
}

}  // namespace offboard
