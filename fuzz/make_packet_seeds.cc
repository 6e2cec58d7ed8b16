// Writes the DNS-message seeds of the fuzz_classify corpus, and with --reader-edges those of
// fuzz_wire_readers (fuzz/make_corpus.sh runs it).
//
// What it is for: seeds that reach every branch of classifyResponse — well-formed answers for
// contoso.com of each kind (answer, CNAME chain, NODATA, NXDOMAIN, referral, RFC 6604 dangling
// CNAME), each failure the outcome matrix lists (rcodes, QR=0, TC, wrong ID or question,
// trailing octets, overrunning counts, pointer loops, over-long names, CNAME loops, chains over
// the limit, ESC sequences in TXT and CNAME data), and for every captured real answer given on
// the command line, a family of malformed variants of it.
// What it must not do: share code with resolvers/wire.cc: the messages come from the tests'
// own hand-written encoder (tests/fakes/dns_packet.h).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fakes/dns_packet.h"
#include "fakes/reader_edges.h"

using namespace offboard::fakes;

namespace {

constexpr std::uint16_t kId = 0x4f42;  // the fixed ID fuzz_classify also checks against

void write(const std::string& dir, const std::string& name, const Bytes& b) {
  std::ofstream f(dir + "/" + name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!f) {
    std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(4);
  }
}

Message reply(const std::string& qname, std::uint16_t qtype) {
  Message m;
  m.id = kId;
  m.aa = true;
  m.questions.push_back({qname, qtype, 1});
  return m;
}

Bytes withPointerOwner(Message m, Bytes owner) {
  for (auto& rr : m.answer) rr.ownerRaw = owner;
  return m.encode();
}

void handBuilt(const std::string& dir) {
  const std::string apex = "contoso.com";
  // Evidence of each kind.
  {
    Message m = reply(apex, type::MX);
    m.answer = {mxRecord(apex, 0, "contoso-com.mail.protection.outlook.com", 3600),
                mxRecord(apex, 10, "mx1.newmail.example", 3600)};
    write(dir, "hand-mx-answer", m.encode());
    m.answer.push_back(m.answer.front());
    write(dir, "hand-mx-duplicate-records", m.encode());
    Message c = m;
    c.answer[0].owner = "CONTOSO.com";
    write(dir, "hand-mx-owner-case", c.encode());
    // Compressed owners (pointer to the question name at offset 12).
    write(dir, "hand-mx-compressed", withPointerOwner(m, Bytes{0xC0, 0x0C}));
    // The owner points at itself: a compression loop.
    Message loop = reply(apex, type::MX);
    loop.answer = {mxRecord(apex, 0, "x.example")};
    Bytes b = loop.encode();
    std::size_t owner = 12 + 13 + 4;  // after the header and the question
    b[owner] = 0xC0;
    b[owner + 1] = static_cast<std::uint8_t>(owner);
    b.erase(b.begin() + static_cast<std::ptrdiff_t>(owner) + 2,
            b.begin() + static_cast<std::ptrdiff_t>(owner) + 13);
    write(dir, "bad-pointer-self-loop", b);
    // Two pointers pointing at each other.
    Bytes two = loop.encode();
    two.resize(owner);
    put8(two, 0xC0);
    put8(two, static_cast<unsigned>(owner + 2));
    put8(two, 0xC0);
    put8(two, static_cast<unsigned>(owner));
    write(dir, "bad-pointer-two-loop", two);
  }
  {
    Message m = reply(apex, type::TXT);
    m.answer = {txtRecord(apex, {"v=spf1 include:spf.protection.outlook.com -all"}),
                txtRecord(apex, {"MS=ms12345678"})};
    write(dir, "hand-txt-spf", m.encode());
    m.answer = {txtRecord(apex, {"\x1b]0;pwned\x07\x1b[2J\x1b[31mred", std::string("nul\0x", 5)})};
    write(dir, "hand-txt-escape-sequences", m.encode());
    m.answer = {txtRecord(apex, {""})};
    write(dir, "hand-txt-empty-string", m.encode());
    Message e = reply(apex, type::TXT);
    e.answer = {RR{apex, type::TXT, 1, 300, Bytes{}, {}, {}}};
    write(dir, "bad-txt-empty-rdata", e.encode());
    e.answer = {RR{apex, type::TXT, 1, 300, Bytes{9, 'a', 'b'}, {}, {}}};
    write(dir, "bad-txt-string-overruns", e.encode());
  }
  {
    Message m = reply("autodiscover." + apex, type::CNAME);
    m.answer = {cnameRecord("autodiscover." + apex, "autodiscover.outlook.com")};
    write(dir, "hand-cname-autodiscover", m.encode());
    Message a = reply("autodiscover." + apex, type::A);
    a.answer = {cnameRecord("autodiscover." + apex, "autodiscover.outlook.com"),
                cnameRecord("autodiscover.outlook.com", "autod.ms-acdc.office.com"),
                aRecord("autod.ms-acdc.office.com", 52, 97, 1, 2)};
    write(dir, "hand-cname-chain-answer", a.encode());
    Bytes esc = nameWire("x.example");
    Bytes label = {5, 0x1b, '[', '2', 'J', 'a'};
    esc.insert(esc.begin(), label.begin(), label.end());
    a.answer = {RR{"autodiscover." + apex, type::CNAME, 1, 300, esc, {}, {}}};
    write(dir, "hand-cname-escape-target", a.encode());
    // A loop of two, and a chain of nine (one over the limit).
    a.answer = {cnameRecord("autodiscover." + apex, "b." + apex),
                cnameRecord("b." + apex, "autodiscover." + apex)};
    write(dir, "hand-cname-loop", a.encode());
    a.answer.clear();
    std::string from = "autodiscover." + apex;
    for (int i = 0; i < 9; ++i) {
      std::string to = "c" + std::to_string(i) + "." + apex;
      a.answer.push_back(cnameRecord(from, to));
      from = to;
    }
    a.answer.push_back(aRecord(from, 192, 0, 2, 1));
    write(dir, "hand-cname-chain-too-long", a.encode());
    a.answer = {cnameRecord("autodiscover." + apex, "x." + apex),
                cnameRecord("autodiscover." + apex, "y." + apex)};
    write(dir, "bad-cname-two-targets", a.encode());
    a.answer = {cnameRecord("autodiscover." + apex, "x." + apex),
                aRecord("autodiscover." + apex, 192, 0, 2, 1)};
    write(dir, "bad-cname-and-data", a.encode());
  }
  {
    // Negative answers, with and without the SOA RFC 2308 needs.
    Message m = reply(apex, type::AAAA);
    m.authority = {soaRecord(apex, 3600, 300)};
    write(dir, "hand-nodata", m.encode());
    m.authority.clear();
    write(dir, "bad-nodata-without-soa", m.encode());
    Message n = reply("nosuch." + apex, type::A);
    n.rcode = 3;
    n.authority = {soaRecord(apex, 3600, 300)};
    write(dir, "hand-nxdomain", n.encode());
    n.authority = {soaRecord("example", 3600, 300)};
    write(dir, "bad-nxdomain-unrelated-soa", n.encode());
    Message d = reply("autodiscover." + apex, type::A);
    d.rcode = 3;
    d.answer = {cnameRecord("autodiscover." + apex, "gone.example")};
    d.authority = {soaRecord("example", 3600, 300)};
    write(dir, "hand-nxdomain-dangling-cname", d.encode());
    Message r = reply(apex, type::MX);
    r.aa = false;
    r.authority = {nsRecord(apex, "ns1.olddns.example"), nsRecord(apex, "ns2.olddns.example")};
    r.additional = {aRecord("ns1.olddns.example", 127, 77, 0, 20)};
    write(dir, "hand-referral", r.encode());
  }
  // Header faults on a valid MX answer.
  Message base = reply(apex, type::MX);
  base.answer = {mxRecord(apex, 0, "contoso-com.mail.protection.outlook.com", 3600)};
  auto variant = [&](const char* name, auto&& change) {
    Message m = base;
    change(m);
    write(dir, name, m.encode());
  };
  for (unsigned rcode : {1u, 2u, 4u, 5u, 6u, 9u, 15u}) {
    Message m = base;
    m.rcode = rcode;
    m.answer.clear();
    write(dir, "hdr-rcode-" + std::to_string(rcode), m.encode());
  }
  variant("hdr-qr0", [](Message& m) { m.qr = false; });
  variant("hdr-tc", [](Message& m) { m.tc = true; });
  variant("hdr-opcode-notify", [](Message& m) { m.opcode = 4; });
  variant("hdr-wrong-id", [](Message& m) { m.id = kId ^ 0xffff; });
  variant("hdr-qdcount-0", [](Message& m) { m.questions.clear(); });
  variant("hdr-qdcount-2", [](Message& m) { m.questions.push_back(m.questions.front()); });
  variant("hdr-other-question", [](Message& m) { m.questions.front().name = "fabrikam.com"; });
  variant("hdr-other-qtype", [](Message& m) { m.questions.front().type = type::TXT; });
  variant("hdr-class-ch", [](Message& m) { m.questions.front().cls = 3; });
  variant("hdr-ancount-plus-one", [](Message& m) { m.ancount = 2; });
  variant("hdr-ancount-max", [](Message& m) { m.ancount = 0xffff; });
  variant("hdr-arcount-max-no-data", [](Message& m) { m.arcount = 0xffff; });
  variant("hdr-ancount-zero", [](Message& m) { m.ancount = 0; });
  variant("tail-garbage", [](Message& m) { m.trailing = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0}; });
  variant("tail-one-zero", [](Message& m) { m.trailing = {0}; });
  variant("rr-rdlength-long", [](Message& m) { m.answer[0].rdlength = 200; });
  variant("rr-rdlength-short", [](Message& m) { m.answer[0].rdlength = 3; });
  variant("rr-mx-extra-octet", [](Message& m) { m.answer[0].rdata.push_back(0x41); });
  variant("rr-class-ch", [](Message& m) { m.answer[0].cls = 3; });
  variant("rr-label-0x40", [](Message& m) { m.answer[0].ownerRaw = Bytes{0x40, 'a', 0}; });
  variant("rr-label-0x80", [](Message& m) { m.answer[0].ownerRaw = Bytes{0x80, 'a', 0}; });
  variant("rr-owner-257", [](Message& m) {
    Bytes o;
    for (int i = 0; i < 5; ++i) {
      put8(o, 50);
      o.insert(o.end(), 50, 'a');
    }
    put8(o, 0);
    m.answer[0].ownerRaw = o;
  });
  variant("opt-badvers", [](Message& m) {
    // OPT with extended rcode 1 (rcode 16 BADVERS with header rcode 0), RFC 6891 §6.1.3.
    m.additional.push_back(RR{"", type::OPT, 1232, 0x01000000, Bytes{}, Bytes{0}, {}});
  });
  variant("opt-plain", [](Message& m) {
    m.additional.push_back(RR{"", type::OPT, 1232, 0, Bytes{}, Bytes{0}, {}});
  });
  // A 200-hop chain of pointers (each to the next, the last to the question name) inside the
  // RDATA of a private-type record, and an MX whose owner enters the chain: legal, but work.
  {
    Message m = reply(apex, type::MX);
    m.ancount = 2;
    Bytes b = m.encode();
    put16(b, 0xC00C);
    put16(b, 65280);  // private-use type
    put16(b, 1);
    put32(b, 300);
    put16(b, 2 * 200);
    std::size_t chain = b.size();
    for (int i = 0; i < 200; ++i) {
      std::size_t next = i == 199 ? 12 : chain + 2 * (static_cast<std::size_t>(i) + 1);
      put16(b, static_cast<unsigned>(0xC000 | next));
    }
    put16(b, static_cast<unsigned>(0xC000 | chain));
    put16(b, type::MX);
    put16(b, 1);
    put32(b, 300);
    Bytes rd;
    put16(rd, 10);
    Bytes ex = nameWire("mx1.newmail.example");
    rd.insert(rd.end(), ex.begin(), ex.end());
    put16(b, static_cast<unsigned>(rd.size()));
    b.insert(b.end(), rd.begin(), rd.end());
    write(dir, "hand-pointer-chain-200", b);
  }
  write(dir, "short-empty", Bytes{});
  write(dir, "short-11-octets", Bytes(11, 0));
  write(dir, "short-header-only", Bytes{0x4f, 0x42, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0});
}

// Malformed variants of a real captured answer.
void variantsOf(const std::string& dir, const std::string& name, const Bytes& b) {
  write(dir, "cap-" + name, b);
  if (b.size() < 12) return;
  auto edit = [&](const std::string& what, auto&& change) {
    Bytes c = b;
    change(c);
    write(dir, "cap-" + name + "-" + what, c);
  };
  for (std::size_t cut : {std::size_t{11}, std::size_t{12}, b.size() / 2, b.size() - 1}) {
    if (cut >= b.size()) continue;
    edit("cut-" + std::to_string(cut), [&](Bytes& c) { c.resize(cut); });
  }
  edit("garbage", [](Bytes& c) { c.insert(c.end(), {0xff, 0xee, 0xdd}); });
  edit("qr0", [](Bytes& c) { c[2] &= 0x7f; });
  edit("tc", [](Bytes& c) { c[2] |= 0x02; });
  edit("servfail", [](Bytes& c) { c[3] = static_cast<std::uint8_t>((c[3] & 0xf0) | 2); });
  edit("refused", [](Bytes& c) { c[3] = static_cast<std::uint8_t>((c[3] & 0xf0) | 5); });
  edit("ancount-up", [](Bytes& c) { c[7] = static_cast<std::uint8_t>(c[7] + 1); });
  edit("nscount-max", [](Bytes& c) { c[8] = c[9] = 0xff; });
  edit("qdcount-0", [](Bytes& c) { c[5] = 0; });
  edit("flip-middle", [](Bytes& c) { c[c.size() / 2] ^= 0xff; });
  edit("pointer-to-self", [](Bytes& c) {
    for (std::size_t i = 12; i + 1 < c.size(); ++i) {
      if (c[i] == 0xC0 && c[i + 1] == 0x0C) {
        c[i + 1] = static_cast<std::uint8_t>(i & 0xff);
        c[i] = static_cast<std::uint8_t>(0xC0 | (i >> 8));
        break;
      }
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUTDIR [CAPTURED-ANSWER...]\n       %s --reader-edges OUTDIR\n",
                 argv[0], argv[0]);
    return 2;
  }
  if (std::string(argv[1]) == "--reader-edges") {
    // The seeds of fuzz_wire_readers: the edges of what the direct reader takes.
    if (argc != 3) return 2;
    for (const auto& e : readerEdges(kId)) write(argv[2], e.name, e.message);
    return 0;
  }
  std::string dir = argv[1];
  handBuilt(dir);
  for (int i = 2; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::string name = argv[i];
    name = name.substr(name.find_last_of('/') + 1);
    variantsOf(dir, name, b);
  }
  return 0;
}
