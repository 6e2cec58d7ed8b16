// The direct read of plain answers (wire.cc, used when the caller keeps no sections) must give
// exactly what the ldns path gives: the same outcome, detail, records, chain, negative TTL and
// flags, for well-formed answers of every shape the checks ask about and for tens of thousands
// of mutated ones (a byte changed, cut short, octets appended, a count changed). Messages are
// built by ldns itself, so names are compressed as real servers compress them.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "resolvers/rr_convert.h"
#include "resolvers/wire.h"

using namespace offboard;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Spec {
  std::string qname;
  RRType qtype;
  unsigned rcode = 0;
  bool aa = true;
  std::vector<std::string> answer, authority, additional;
  bool edns = true;
  std::uint8_t extendedRcode = 0;
};

Spec S(std::string qname, RRType t, unsigned rcode, bool aa, std::vector<std::string> an = {},
       std::vector<std::string> ns = {}, std::vector<std::string> ar = {}) {
  Spec s;
  s.qname = std::move(qname);
  s.qtype = t;
  s.rcode = rcode;
  s.aa = aa;
  s.answer = std::move(an);
  s.authority = std::move(ns);
  s.additional = std::move(ar);
  return s;
}

ldns_rr* rrFrom(const std::string& text) {
  ldns_rr* rr = nullptr;
  REQUIRE_MESSAGE(ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr) == LDNS_STATUS_OK,
                  text);
  return rr;
}

Bytes build(const Spec& s, std::uint16_t id) {
  LdnsPkt pkt(ldns_pkt_new());
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_qr(pkt.get(), true);
  ldns_pkt_set_aa(pkt.get(), s.aa);
  ldns_pkt_set_rd(pkt.get(), true);
  ldns_pkt_set_rcode(pkt.get(), static_cast<std::uint8_t>(s.rcode));
  ldns_rr* question = nullptr;
  std::string qtext = s.qname + " IN " + rrTypeName(s.qtype);
  REQUIRE(ldns_rr_new_question_frm_str(&question, qtext.c_str(), nullptr, nullptr) ==
          LDNS_STATUS_OK);
  ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_QUESTION, question);
  for (const auto& t : s.answer) ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rrFrom(t));
  for (const auto& t : s.authority) ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_AUTHORITY, rrFrom(t));
  for (const auto& t : s.additional)
    ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ADDITIONAL, rrFrom(t));
  if (s.edns) {
    ldns_pkt_set_edns_udp_size(pkt.get(), 1232);
    ldns_pkt_set_edns_extended_rcode(pkt.get(), s.extendedRcode);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt.get(), &size) == LDNS_STATUS_OK);
  Bytes out(wire, wire + size);
  LDNS_FREE(wire);
  return out;
}

Question question(const std::string& name, RRType t) {
  Question q;
  q.name = *DnsName::parse(name);
  q.type = t;
  return q;
}

std::string describe(const Record& r) {
  std::string s = r.name.toString() + " " + rrTypeName(r.type) + " " + std::to_string(r.ttl) +
                  " [" + r.data + "] " + r.target.toString() + " " + std::to_string(r.preference) +
                  "/" + std::to_string(r.weight) + "/" + std::to_string(r.port);
  for (const auto& str : r.strings) s += " <" + str + ">";
  return s;
}

// Everything classifyResponse reports, as one comparable text.
std::string describe(const WireAnswer& w) {
  std::string s = std::string(outcomeName(w.obs.outcome)) + " | " + w.obs.detail + " | " +
                  w.obs.server + " | neg " +
                  (w.obs.negativeTtl ? std::to_string(*w.obs.negativeTtl) : "-") + " | aa " +
                  std::to_string(w.aa) + " tc " + std::to_string(w.tc) + " ra " +
                  std::to_string(w.ra) + " referral " + std::to_string(w.referral) + "\n";
  for (const auto& r : w.obs.answer) s += "  answer " + describe(r) + "\n";
  for (const auto& r : w.obs.chain) s += "  chain " + describe(r) + "\n";
  return s;
}

void compareBothPaths(const Question& q, std::uint16_t id, const Bytes& m) {
  WireAnswer viaLdns = classifyResponse(q, id, m.data(), m.size(), "127.0.0.1:53", true);
  WireAnswer direct = classifyResponse(q, id, m.data(), m.size(), "127.0.0.1:53", false);
  REQUIRE(describe(direct) == describe(viaLdns));
}

std::vector<std::pair<Spec, Question>> shapes() {
  const std::string d = "t000123.test.";
  std::vector<std::pair<Spec, Question>> v;
  auto add = [&](Spec s) {
    Question q = question(s.qname, s.qtype);
    v.emplace_back(std::move(s), q);
  };
  add(S(d, RRType::NS, 0, true, {d + " 86400 IN NS ns1." + d, d + " 86400 IN NS ns2." + d}, {},
       {"ns1." + d + " IN A 127.0.0.1", "ns2." + d + " IN A 127.0.0.2"}));
  add(S(d, RRType::NS, 0, true,
       {d + " 172800 IN NS ns1.bdm.microsoftonline.com.", d + " 172800 IN NS ns2.bdm.microsoftonline.com."}));
  add(S(d, RRType::MX, 0, true, {d + " 3600 IN MX 10 mx1." + d, d + " 3600 IN MX 20 MX2." + d},
       {d + " IN NS ns1." + d}, {"mx1." + d + " IN A 127.0.0.3", "mx1." + d + " IN AAAA ::1"}));
  add(S(d, RRType::MX, 0, true, {d + " 3600 IN MX 0 t000123-test.mail.protection.outlook.com."}));
  add(S(d, RRType::MX, 0, true, {d + " 300 IN MX 0 ."}));
  add(S(d, RRType::TXT, 0, true,
       {d + " 3600 IN TXT \"v=spf1 include:spf.protection.outlook.com -all\"",
        d + " 60 IN TXT \"MS=ms12345678\"", d + " 60 IN TXT \"a\\\"b\\\\c\" \"two\" \"\\007bell\""}));
  add(S("autodiscover." + d, RRType::CNAME, 0, true,
       {"autodiscover." + d + " 3600 IN CNAME autodiscover.outlook.com."}));
  add(S("_sip._tls." + d, RRType::SRV, 0, true,
       {"_sip._tls." + d + " 3600 IN SRV 100 1 443 sipdir.online.lync.com."}));
  add(S("msoid." + d, RRType::CNAME, 3, true, {}, {d + " 3600 IN SOA ns1." + d + " hostmaster." + d + " 1 3600 600 86400 300"}));
  add(S("mx1." + d, RRType::CNAME, 0, true, {}, {d + " 300 IN SOA ns1." + d + " hostmaster." + d + " 1 3600 600 86400 900"}));
  // A CNAME chain to the asked type, and one that ends without an answer.
  add(S("mail." + d, RRType::MX, 0, false,
       {"mail." + d + " 300 IN CNAME mx." + d, "mx." + d + " 200 IN CNAME mx2." + d,
        "mx2." + d + " 100 IN MX 5 in.example."}));
  add(S("mail." + d, RRType::MX, 0, false, {"mail." + d + " 300 IN CNAME elsewhere.example."}));
  // A loop, several CNAMEs, CNAME and data together, NXDOMAIN with data, NXDOMAIN without SOA.
  add(S("a." + d, RRType::TXT, 0, true, {"a." + d + " IN CNAME b." + d, "b." + d + " IN CNAME a." + d}));
  add(S("a." + d, RRType::TXT, 0, true, {"a." + d + " IN CNAME b." + d, "a." + d + " IN CNAME c." + d}));
  add(S("a." + d, RRType::TXT, 0, true, {"a." + d + " IN CNAME b." + d, "a." + d + " IN TXT \"x\""}));
  add(S("a." + d, RRType::TXT, 3, true, {"a." + d + " IN TXT \"x\""}, {d + " IN SOA a. b. 1 2 3 4 5"}));
  add(S("a." + d, RRType::TXT, 3, true));
  // A referral, a non-authoritative empty answer, rcodes with and without extended bits.
  add(S("www." + d, RRType::A, 0, false, {}, {d + " IN NS ns1.other.example."}));
  add(S("www." + d, RRType::A, 0, false));
  add(S("www." + d, RRType::A, 2, false));
  add(S("www." + d, RRType::A, 5, false));
  Spec badvers = S("www." + d, RRType::A, 0, true, {"www." + d + " IN A 127.0.0.1"});
  badvers.extendedRcode = 1;
  add(badvers);
  // Records of other classes and other owners are dropped; a TTL with the top bit set.
  add(S("www." + d, RRType::A, 0, true,
       {"www." + d + " CH A 127.0.0.9", "other.example. IN A 127.0.0.8",
        "WWW." + d + " 4294967295 IN A 127.0.0.7", "www." + d + " 5 IN A 127.0.0.7"}));
  add(S("www." + d, RRType::AAAA, 0, true, {"www." + d + " IN AAAA 2001:db8::1"}));
  // Types the direct path leaves to ldns (CAA, DS) and no EDNS at all.
  add(S(d, static_cast<RRType>(257), 0, true, {d + " IN CAA 0 issue \"ca.example\""}));
  add(S(d, RRType::DS, 0, true, {d + " IN DS 1 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}));
  Spec plain = S(d, RRType::MX, 0, true, {d + " IN MX 10 mx1." + d});
  plain.edns = false;
  add(plain);
  return v;
}

}  // namespace

TEST_CASE("plain answers are read directly, and exactly as the ldns path reads them") {
  std::size_t direct = 0;
  for (const auto& [spec, q] : shapes()) {
    CAPTURE(spec.qname);
    CAPTURE(rrTypeName(spec.qtype));
    Bytes m = build(spec, 0x1234);
    compareBothPaths(q, 0x1234, m);
    if (readsDirectly(m.data(), m.size())) ++direct;
    // The wrong ID, the wrong question, QR=0 and TC=1 are judged the same way too.
    compareBothPaths(q, 0x4321, m);
    compareBothPaths(question("other.example.", q.type), 0x1234, m);
    Bytes noQr = m;
    noQr[2] &= 0x7F;
    compareBothPaths(q, 0x1234, noQr);
    Bytes tc = m;
    tc[2] |= 0x02;
    compareBothPaths(q, 0x1234, tc);
  }
  // Everything but CAA and DS answers is plain (the OPT-less MX included).
  CHECK(direct == shapes().size() - 2);
}

TEST_CASE("the types the checks ask about, as NSD compresses them, take the direct path") {
  Spec mx = S("t000001.test.", RRType::MX, 0, true, {"t000001.test. IN MX 10 mx1.t000001.test."});
  Bytes m = build(mx, 7);
  CHECK(readsDirectly(m.data(), m.size()));
  // Two OPT records, or an OPT outside the additional section, go to ldns.
  Bytes twoOpt = m;
  const Bytes opt(m.end() - 11, m.end());
  twoOpt.insert(twoOpt.end(), opt.begin(), opt.end());
  twoOpt[11] = static_cast<std::uint8_t>(twoOpt[11] + 1);
  CHECK_FALSE(readsDirectly(twoOpt.data(), twoOpt.size()));
  compareBothPaths(question("t000001.test.", RRType::MX), 7, twoOpt);
}

TEST_CASE("mutated answers give the same outcome and detail on both paths") {
  std::mt19937 rng(20240505);  // fixed seed: the same messages every run
  std::size_t compared = 0, directTaken = 0;
  for (const auto& [spec, q] : shapes()) {
    Bytes base = build(spec, 0x0BAD);
    for (int i = 0; i < 600; ++i) {
      Bytes m = base;
      switch (rng() % 6) {
        case 0:
        case 1: {  // one octet changed
          std::size_t at = rng() % m.size();
          m[at] = static_cast<std::uint8_t>(rng());
          break;
        }
        case 2: {  // one bit flipped past the header
          std::size_t at = 12 + rng() % (m.size() - 12);
          m[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        }
        case 3:  // cut short
          m.resize(rng() % m.size());
          break;
        case 4:  // octets appended
          for (unsigned n = 1 + rng() % 4; n > 0; --n) m.push_back(static_cast<std::uint8_t>(rng()));
          break;
        case 5: {  // a section count changed
          std::size_t at = 4 + 2 * (rng() % 4) + 1;
          m[at] = static_cast<std::uint8_t>(m[at] + 1 + rng() % 3);
          break;
        }
      }
      CAPTURE(spec.qname);
      CAPTURE(i);
      compareBothPaths(q, 0x0BAD, m);
      if (readsDirectly(m.data(), m.size())) ++directTaken;
      ++compared;
    }
  }
  CHECK(compared > 10000);
  // Many mutants stay plain (a changed TTL, letter or address): the direct path is exercised.
  CHECK(directTaken > compared / 10);
}
