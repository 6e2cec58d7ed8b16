// Messages at the edges of what the direct reader of resolvers/wire.cc takes, built with the
// tests' own encoder: each with the reader's expected choice. The unit tests check that choice
// and that both readers classify the message alike; fuzz/make_packet_seeds.cc writes them as
// the seeds of fuzz_wire_readers.
#pragma once

#include <string>
#include <vector>

#include "fakes/dns_packet.h"

namespace offboard::fakes {

struct ReaderEdge {
  std::string name;
  Bytes message;
  bool direct;  // the direct reader takes it (false: it is left to ldns)
  // The question the message answers.
  std::string qname;
  std::uint16_t qtype;
};

inline RR optRecord(std::uint32_t ttl = 0, Bytes options = {}) {
  return RR{"", type::OPT, 1232, ttl, std::move(options), Bytes{0}, {}};
}

inline std::vector<ReaderEdge> readerEdges(std::uint16_t id) {
  const std::string apex = "contoso.com";
  std::vector<ReaderEdge> out;
  auto reply = [&](const std::string& qname, std::uint16_t qtype) {
    Message m;
    m.id = id;
    m.aa = true;
    m.questions.push_back({qname, qtype, 1});
    return m;
  };
  auto add = [&](std::string name, const Message& m, bool direct) {
    out.push_back({std::move(name), m.encode(), direct, m.questions.empty() ? apex : m.questions[0].name,
                   m.questions.empty() ? type::MX : m.questions[0].type});
  };

  // --- taken ----------------------------------------------------------------------------------
  Message mx = reply(apex, type::MX);
  mx.answer = {mxRecord(apex, 0, "contoso-com.mail.protection.outlook.com", 3600),
               mxRecord(apex, 10, "mx1.newmail.example", 600)};
  mx.additional = {optRecord()};
  add("direct-mx", mx, true);
  {
    Message c = mx;
    for (auto& rr : c.answer) rr.ownerRaw = Bytes{0xC0, 0x0C};  // the question name
    // The second exchange ends in a pointer to "contoso.com" in the question.
    c.answer[1].rdata = Bytes{0x00, 0x14, 3, 'm', 'x', '2', 0xC0, 0x0C};
    add("direct-mx-compressed", c, true);
  }
  {
    Message n = reply("_autodiscover._tcp." + apex, 33);
    n.authority = {soaRecord(apex, 3600, 300)};
    n.additional = {optRecord()};
    add("direct-nodata", n, true);
    n.rcode = 3;
    add("direct-nxdomain", n, true);
  }
  {
    Message c = reply("autodiscover." + apex, type::A);
    c.answer = {cnameRecord("autodiscover." + apex, "autodiscover.outlook.com", 3600),
                cnameRecord("autodiscover.outlook.com", "autod.ms-acdc.office.com", 60),
                aRecord("autod.ms-acdc.office.com", 192, 0, 2, 10, 30)};
    add("direct-cname-chain", c, true);
  }
  {
    Message t = reply(apex, type::TXT);
    t.answer = {txtRecord(apex, {"v=spf1 include:spf.protection.outlook.com", " -all"}),
                txtRecord(apex, {std::string("\x1b[2J\"q\\", 7), ""})};
    add("direct-txt", t, true);
  }
  {
    Message s = reply("_sip._tls." + apex, 33);
    Bytes rd{0x00, 0x64, 0x00, 0x01, 0x01, 0xBB};
    Bytes target = nameWire("sipdir.online.lync.com");
    rd.insert(rd.end(), target.begin(), target.end());
    s.answer = {RR{"_sip._tls." + apex, 33, 1, 3600, rd, {}, {}}};
    add("direct-srv", s, true);
  }
  {
    Message a = reply("mail." + apex, type::AAAA);
    Bytes rd(16, 0);
    rd[0] = 0x20;
    rd[1] = 0x01;
    rd[2] = 0x0d;
    rd[3] = 0xb8;
    rd[15] = 1;
    a.answer = {RR{"MAIL." + apex, type::AAAA, 1, 300, rd, {}, {}}};
    add("direct-aaaa", a, true);
  }
  {
    Message r = reply("sub." + apex, type::MX);
    r.aa = false;
    r.authority = {nsRecord("sub." + apex, "ns1.sub." + apex, 86400)};
    r.additional = {aRecord("ns1.sub." + apex, 192, 0, 2, 53), optRecord()};
    add("direct-referral", r, true);
  }
  {
    Message f = reply(apex, type::MX);
    f.rcode = 2;
    f.additional = {optRecord()};
    add("direct-servfail", f, true);
    // BADVERS (16): the upper 8 bits of the rcode in the OPT record's TTL.
    f.rcode = 0;
    f.additional = {optRecord(0x01000000)};
    add("direct-extended-rcode", f, true);
  }
  {
    Message ch = mx;
    RR chaos = aRecord("version.bind", 192, 0, 2, 1);
    chaos.cls = 3;
    ch.additional = {chaos, optRecord()};
    add("direct-class-ch-additional", ch, true);
  }
  // A NODATA answer for a name of 3 labels of 63 octets and one of `last`: 193 + last octets
  // in wire form, the SOA owned by its last label.
  auto longName = [&](std::size_t last) {
    std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(63, 'c') + "." + std::string(last, 'd');
    Message l = reply(name, type::MX);
    l.authority = {soaRecord(std::string(last, 'd'), 60, 60)};
    return l;
  };
  add("direct-name-253", longName(59), true);  // the longest name it reads
  {
    Message soa = reply(apex, type::SOA);
    soa.answer = {soaRecord(apex, 3600, 300)};
    add("direct-soa-answer", soa, true);
  }

  // --- left to ldns ---------------------------------------------------------------------------
  {
    // The owner points forward, at the exchange in its own RDATA (offset 43): ldns follows
    // pointers wherever they point.
    Message f = reply(apex, type::MX);
    f.answer = {mxRecord(apex, 0, apex)};
    f.answer[0].ownerRaw = Bytes{0xC0, 43};
    add("ldns-pointer-forward", f, false);
    f.answer[0].ownerRaw = Bytes{0xC0, 0x05};  // into the header
    add("ldns-pointer-into-header", f, false);
  }
  add("ldns-name-254", longName(60), false);
  {
    Message o = mx;
    o.additional = {optRecord(0, Bytes{0x00, 0x03, 0x00, 0x00})};  // an empty NSID option
    add("ldns-opt-with-option", o, false);
    o.additional = {optRecord(), optRecord()};
    add("ldns-two-opt", o, false);
    o.additional = {};
    o.answer.push_back(optRecord());
    add("ldns-opt-in-answer", o, false);
  }
  {
    Message ds = reply(apex, type::MX);
    ds.authority = {soaRecord(apex, 3600, 300),
                    RR{apex, 43, 1, 3600, Bytes{0x12, 0x34, 8, 2, 0xAB}, {}, {}}};
    add("ldns-ds-in-authority", ds, false);
  }
  {
    Message t = mx;
    t.tc = true;
    add("ldns-truncated", t, false);
    t.tc = false;
    t.questions.push_back({apex, type::A, 1});
    add("ldns-two-questions", t, false);
  }
  {
    Message t = mx;
    t.trailing = Bytes{0};
    add("ldns-trailing-octet", t, false);
    t.trailing.clear();
    t.answer[0].rdata.push_back(0);  // a stray octet after the exchange
    add("ldns-mx-stray-octet", t, false);
    t.answer[0] = mxRecord(apex, 0, "x.example");
    t.answer[0].ownerRaw = Bytes{0x40, 'a', 0};  // an extended label type
    add("ldns-label-type-0x40", t, false);
  }
  return out;
}

}  // namespace offboard::fakes
