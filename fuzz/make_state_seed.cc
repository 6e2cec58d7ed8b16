// Writes a valid offboard state file for the fuzz_state seed corpus (fuzz/make_corpus.sh).
//
// What it is for: the seed the fuzzer mutates must be a real state, written by the real
// StateStore, with every table holding rows, so that mutations reach past the header checks.
// What it must not do: overwrite an existing file (StateStore would open it instead).
#include <cstdint>
#include <cstdio>
#include <vector>
#include <string>
#include <sys/stat.h>

#include "state/state_store.h"

int main(int argc, char** argv) {
  using namespace offboard;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s NEW-STATE-FILE\n", argv[0]);
    return 2;
  }
  struct stat st {};
  if (::stat(argv[1], &st) == 0) {
    std::fprintf(stderr, "%s exists; give a new path\n", argv[1]);
    return 2;
  }
  auto opened = StateStore::open(argv[1], OpenMode::CreateIfMissing);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.status().message().c_str());
    return 4;
  }
  auto s = std::move(opened).value();
  auto obs = [](const char* domain, const char* subject, const char* value, bool atM365,
                bool evidence, std::uint32_t ttl, std::int64_t at) {
    ObservationRow r;
    r.domain = domain;
    r.subject = subject;
    r.value = value;
    r.atM365 = atM365;
    r.evidence = evidence;
    r.ttl = ttl;
    r.at = at;
    return r;
  };
  AckRow ack;
  ack.step = "notify-users";
  ack.by = "alice";
  ack.note = "mail sent to all staff";
  ack.at = 1765000000;
  WaiverRow waiver;
  waiver.step = "remove-teams-records:contoso.com";
  waiver.by = "bob";
  waiver.reason = "Teams never used";
  waiver.at = 1765000100;
  std::vector<ObservationRow> first;
  first.push_back(obs("contoso.com", "MX contoso.com.", "0 contoso-com.mail.protection.outlook.com.",
                      true, true, 3600, 1765000200));
  first.push_back(obs("contoso.com", "NS(parent) contoso.com.", "ns1.olddns.example.", false, true,
                      172800, 1765000200));
  first.push_back(obs("fabrikam.com", "MX fabrikam.com.", "timeout", false, false, 0, 1765000200));
  std::vector<ObservationRow> second;
  second.push_back(obs("contoso.com", "MX contoso.com.", "10 mx1.newmail.example.", false, true,
                       3600, 1765086600));
  Status written = s->addAck(ack);
  if (written) written = s->addWaiver(waiver);
  if (written) written = s->recordObservations(first);
  if (written) written = s->recordObservations(second);
  if (!written) {
    std::fprintf(stderr, "%s\n", written.message().c_str());
    return 4;
  }
  return 0;
}
