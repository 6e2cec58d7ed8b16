// fault_dns: a misbehaving DNS server on loopback, for tests/e2e/test_faults.sh.
//
// What it is for: the faults ldns-testns cannot produce (reliability §3, §5, §9): 0-byte
// datagrams, wrong-ID spoofs, QR=0, answers for another question, duplicate answers, trailing
// octets, messages cut short, TC=1 followed by TCP framing faults (a length prefix too short or
// too long, a message cut, a connection closed mid-frame), slow answers, CNAME loops,
// compression-pointer loops, and ESC sequences in names and strings. It serves a small world —
// every apex has NS at ns1/ns2.olddns.example, MX at <apex-with-dashes>.mail.protection.
// outlook.com (the one Microsoft 365 signature), TXT "v=spf1 -all"; probe names below it are
// NXDOMAIN — and applies the chosen fault to every query, or only to one query type.
// What it must not do: bind anything but 127.0.0.0/8 (FakeDns refuses), or outlive its test:
// it exits on SIGTERM/SIGINT and after --lifetime seconds whatever happens.
//
// Usage: fault_dns --fault NAME [--only-type TYPE] [--ip 127.0.0.1] [--port-file FILE]
//                  [--stats-file FILE] [--delay-ms N] [--lifetime SECONDS]
// The port goes to --port-file (or stdout) once both sockets are bound; on exit, --stats-file
// gets "udp N", "tcp N" and one "query QNAME QTYPE udp|tcp" line per query received.
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fakes/fake_dns.h"

using namespace offboard::fakes;

namespace {

struct Options {
  std::string fault = "none";
  int onlyType = -1;
  std::string ip = "127.0.0.1";
  std::string portFile;
  std::string statsFile;
  int delayMs = 2000;
  int lifetimeS = 120;
};

const std::set<std::string> kFaults = {
    "none", "servfail", "refused", "formerr", "notimp", "silence", "zero-length",
    "zero-length-then-answer", "wrong-id", "wrong-id-then-answer", "qr0", "wrong-question",
    "duplicate-answers", "duplicate-records", "trailing-garbage", "truncated-packet",
    "tc-fallback", "tcp-short-prefix", "tcp-long-prefix", "tcp-cut", "tcp-close-mid-frame",
    "tcp-close", "tcp-garbage-frame", "slow", "cname-loop", "pointer-loop", "escape"};

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::vector<std::string> split(const std::string& name) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= name.size() && !name.empty()) {
    std::size_t dot = name.find('.', i);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(name.substr(i, dot - i));
    i = dot + 1;
  }
  return out;
}

// The zone a name belongs to in this world: leading probe labels (autodiscover, selector1,
// _sip, _domainkey, …) removed.
std::string apexOf(const std::string& qname) {
  static const std::set<std::string> probes = {
      "autodiscover", "msoid", "sip", "lyncdiscover", "enterpriseregistration",
      "enterpriseenrollment", "selector1", "selector2", "www", "loop1"};
  auto labels = split(lower(qname));
  std::size_t skip = 0;
  while (labels.size() - skip > 2 &&
         (probes.count(labels[skip]) || (!labels[skip].empty() && labels[skip][0] == '_')))
    ++skip;
  std::string apex;
  for (std::size_t i = skip; i < labels.size(); ++i) apex += (apex.empty() ? "" : ".") + labels[i];
  return apex;
}

// The first label of the apex's Microsoft 365 MX host: contoso.com → contoso-com (shortened,
// as Microsoft does in its own way, when it would exceed a label's 63 octets).
std::string dashed(const std::string& apex) {
  std::string s = apex;
  for (auto& c : s)
    if (c == '.') c = '-';
  if (s.size() > 63) s = s.substr(0, 56) + "-01b2c3";
  return s;
}

Message normal(const ParsedQuery& q, bool hostile) {
  Message m = replyTo(q);
  m.aa = true;
  const std::string apex = apexOf(q.qname);
  if (lower(q.qname) != apex) {
    if (hostile && lower(q.qname) == "autodiscover." + apex && q.qtype == type::CNAME) {
      m.answer = {cnameRecord(q.qname, "x\x1b[5m\x1b]0;title\x07.autodiscover.outlook.com")};
      return m;
    }
    m.rcode = 3;
    m.authority = {soaRecord(apex, 3600, 300)};
    return m;
  }
  switch (q.qtype) {
    case type::MX:
      m.answer = {mxRecord(q.qname, 0, dashed(apex) + ".mail.protection.outlook.com", 3600)};
      if (hostile) m.answer.push_back(mxRecord(q.qname, 10, "\x1b[31mred\x1b[0m.example", 3600));
      break;
    case type::NS:
      m.answer = {nsRecord(q.qname, "ns1.olddns.example", 3600),
                  nsRecord(q.qname, hostile ? "ns2.\x1b[2J.example" : "ns2.olddns.example", 3600)};
      break;
    case type::TXT:
      m.answer = {txtRecord(q.qname, {hostile ? "v=spf1 include:spf.protection.outlook.com "
                                                "\x1b[2J\x1b]0;pwned\x07 | `x` "
                                                "<script>alert(1)</script> -all"
                                              : "v=spf1 -all"},
                            3600)};
      if (hostile) m.answer.push_back(txtRecord(q.qname, {"MS=ms\x1b[1m12345678"}, 3600));
      break;
    case type::SOA:
      m.answer = {soaRecord(apex, 3600, 300)};
      break;
    default:
      m.authority = {soaRecord(apex, 3600, 300)};
      break;
  }
  return m;
}

// The offset of the first record's owner in m's encoding (no compression is used).
std::size_t firstOwnerOffset(const Message& m) {
  std::size_t off = 12;
  for (const auto& q : m.questions) off += nameWire(q.name).size() + 4;
  return off;
}

Bytes framed(const Bytes& msg, unsigned length) {
  Bytes b;
  put16(b, length);
  b.insert(b.end(), msg.begin(), msg.end());
  return b;
}

Reply respond(const Options& o, const ParsedQuery& q, bool tcp) {
  const std::string& f = o.fault;
  const bool applies = o.onlyType < 0 || q.qtype == o.onlyType;
  Message m = normal(q, f == "escape");
  if (!applies || f == "none" || f == "escape") return {{m.encode()}, 0};

  auto rcodeOnly = [&](unsigned rcode) {
    Message r = replyTo(q);
    r.rcode = rcode;
    return Reply{{r.encode()}, 0};
  };
  if (f == "servfail") return rcodeOnly(2);
  if (f == "refused") return rcodeOnly(5);
  if (f == "formerr") return rcodeOnly(1);
  if (f == "notimp") return rcodeOnly(4);
  if (f == "silence") return {};
  if (f == "zero-length") return {{Bytes{}}, 0};
  if (f == "zero-length-then-answer") return {{Bytes{}, m.encode()}, 0};
  Message spoof = m;
  spoof.id = static_cast<std::uint16_t>(m.id ^ 0x5a5a);
  if (f == "wrong-id") return {{spoof.encode()}, 0};
  if (f == "wrong-id-then-answer") return {{spoof.encode(), m.encode()}, 0};
  if (f == "qr0") {
    m.qr = false;
    return {{m.encode()}, 0};
  }
  if (f == "wrong-question") {
    m.questions.front().name = "wrong." + q.qname;
    return {{m.encode()}, 0};
  }
  // A second, different answer with the same ID: a decoy that must never be used.
  Message decoy = replyTo(q);
  decoy.answer = {mxRecord(q.qname, 10, "decoy.example", 60)};
  if (q.qtype != type::MX) {
    decoy.rcode = 3;
    decoy.answer.clear();
    decoy.authority = {soaRecord(apexOf(q.qname), 60, 60)};
  }
  if (f == "duplicate-answers") return {{m.encode(), decoy.encode()}, 0};
  if (f == "duplicate-records") {
    auto copy = m.answer;
    m.answer.insert(m.answer.end(), copy.begin(), copy.end());
    return {{m.encode()}, 0};
  }
  if (f == "trailing-garbage") {
    m.trailing = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00};
    return {{m.encode()}, 0};
  }
  if (f == "truncated-packet") {
    Bytes b = m.encode();
    b.resize(b.size() * 2 / 3);
    return {{b}, 0};
  }
  if (f == "slow") return {{m.encode()}, o.delayMs};
  if (f == "cname-loop") {
    Message l = replyTo(q);
    l.aa = true;
    std::string other = "loop1." + apexOf(q.qname);
    l.answer = {cnameRecord(q.qname, other), cnameRecord(other, q.qname)};
    return {{l.encode()}, 0};
  }
  if (f == "pointer-loop") {
    std::size_t off = firstOwnerOffset(m);
    auto* first = !m.answer.empty() ? &m.answer.front() : !m.authority.empty() ? &m.authority.front() : nullptr;
    if (first) first->ownerRaw = Bytes{static_cast<std::uint8_t>(0xC0 | (off >> 8)),
                                       static_cast<std::uint8_t>(off & 0xff)};
    return {{m.encode()}, 0};
  }
  // TC=1 over UDP with a decoy; over TCP the right answer, or a framing fault.
  if (!tcp) {
    decoy.tc = true;
    return {{decoy.encode()}, 0};
  }
  Bytes msg = m.encode();
  auto len = static_cast<unsigned>(msg.size());
  Reply r;
  r.rawTcp = true;
  if (f == "tc-fallback") {
    r.rawTcp = false;
    r.messages = {msg};
  } else if (f == "tcp-short-prefix") {
    r.messages = {framed(msg, len - 7)};
  } else if (f == "tcp-long-prefix") {
    r.messages = {framed(msg, len + 100)};
  } else if (f == "tcp-cut") {
    Bytes b = framed(msg, len);
    b.resize(2 + msg.size() / 2);
    r.messages = {b};
    r.closeAfter = true;
  } else if (f == "tcp-close-mid-frame") {
    r.messages = {Bytes{static_cast<std::uint8_t>(len >> 8)}};
    r.closeAfter = true;
  } else if (f == "tcp-close") {
    r.closeAfter = true;
  } else if (f == "tcp-garbage-frame") {
    Bytes junk;
    for (unsigned i = 0; i < 40; ++i) put8(junk, (i * 37 + 11) & 0xff);
    junk[0] = static_cast<std::uint8_t>(q.id >> 8);
    junk[1] = static_cast<std::uint8_t>(q.id & 0xff);
    r.messages = {framed(junk, static_cast<unsigned>(junk.size()))};
  }
  return r;
}

bool parseArgs(int argc, char** argv, Options& o) {
  static const std::map<std::string, int> types = {
      {"A", type::A}, {"NS", type::NS}, {"CNAME", type::CNAME}, {"SOA", type::SOA},
      {"MX", type::MX}, {"TXT", type::TXT}, {"AAAA", type::AAAA}, {"SRV", 33}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (a == "--fault") o.fault = v;
    else if (a == "--only-type" && types.count(v)) o.onlyType = types.at(v);
    else if (a == "--ip") o.ip = v;
    else if (a == "--port-file") o.portFile = v;
    else if (a == "--stats-file") o.statsFile = v;
    else if (a == "--delay-ms") o.delayMs = std::stoi(v);
    else if (a == "--lifetime") o.lifetimeS = std::stoi(v);
    else return false;
  }
  return kFaults.count(o.fault) == 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parseArgs(argc, argv, o)) {
    std::fprintf(stderr, "usage: fault_dns --fault NAME [--only-type TYPE] [--ip 127.x.y.z] "
                         "[--port-file F] [--stats-file F] [--delay-ms N] [--lifetime S]\nfaults:");
    for (const auto& f : kFaults) std::fprintf(stderr, " %s", f.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  // Signals are taken synchronously below; the responder thread inherits the blocked mask.
  sigset_t stop;
  sigemptyset(&stop);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop, s);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  try {
    FakeDns server([&o](const ParsedQuery& q, bool tcp) { return respond(o, q, tcp); }, o.ip);
    if (o.portFile.empty()) {
      std::printf("%u\n", server.port());
      std::fflush(stdout);
    } else {
      std::string tmp = o.portFile + ".tmp";
      std::ofstream(tmp) << server.port() << "\n";
      std::rename(tmp.c_str(), o.portFile.c_str());
    }
    timespec limit{o.lifetimeS, 0};
    sigtimedwait(&stop, nullptr, &limit);
    if (!o.statsFile.empty()) {
      std::ofstream stats(o.statsFile);
      stats << "udp " << server.count(false) << "\ntcp " << server.count(true) << "\n";
      for (const auto& r : server.received())
        stats << "query " << r.query.qname << " " << r.query.qtype << (r.tcp ? " tcp" : " udp")
              << "\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fault_dns: %s\n", e.what());
    return 1;
  }
  return 0;
}
