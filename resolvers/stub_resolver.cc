#include "resolvers/stub_resolver.h"

#include <stdexcept>
#include <utility>

namespace offboard {

namespace {
// A stub passes on the Observation only: the authority and additional sections are not needed.
TransportOptions withoutSections(TransportOptions o) {
  o.keepSections = false;
  return o;
}
}  // namespace

StubResolver::StubResolver(std::vector<std::string> servers, TransportOptions options)
    : transport_(withoutSections(options)) {
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
  ask(q, 0, std::string(), std::move(cb));
}

void StubResolver::ask(const Question& q, std::size_t index, std::string failures, Callback cb) {
  // The question comes back in the answer (obs.question): not captured, one copy fewer of a
  // name per query.
  transport_.send(
      servers_[index], q, /*rd=*/true,
      [this, index, failures = std::move(failures), cb = std::move(cb)](WireAnswer w) mutable {
        Observation obs = std::move(w.obs);
        if (isEvidence(obs.outcome)) {
          cb(std::move(obs));
          return;
        }
        // Keep every server's failure: the report must say who failed and how.
        if (!failures.empty()) failures += "; ";
        failures += servers_[index] + ": " + std::string(outcomeName(obs.outcome));
        if (!obs.detail.empty()) failures += " (" + obs.detail + ")";
        if (index + 1 < servers_.size()) {
          ask(obs.question, index + 1, std::move(failures), std::move(cb));
          return;
        }
        obs.detail = std::move(failures);
        cb(std::move(obs));
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
