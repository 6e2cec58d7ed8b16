// A DNS message builder and query parser for tests, written by hand on purpose.
//
// What it is for: producing well-formed and deliberately broken DNS messages (wrong counts,
// RDLENGTH past the end, raw owner octets, trailing bytes, QR=0 …) for the wire-layer tests
// and the fake DNS responder, and reading the queries the responder receives.
// What it must not do: share code with resolvers/wire.cc (an independent encoder is what makes
// the tests meaningful), or validate anything — it writes exactly what it is told.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offboard::fakes {

using Bytes = std::vector<std::uint8_t>;

inline void put8(Bytes& b, unsigned v) { b.push_back(static_cast<std::uint8_t>(v & 0xff)); }
inline void put16(Bytes& b, unsigned v) {
  put8(b, v >> 8);
  put8(b, v);
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xffff);
}

// "www.Example.com." or "www.example.com" → uncompressed wire labels; "." → root. No escapes.
inline Bytes nameWire(std::string_view dotted) {
  Bytes out;
  std::size_t i = 0;
  while (i < dotted.size()) {
    std::size_t dot = dotted.find('.', i);
    if (dot == std::string_view::npos) dot = dotted.size();
    if (dot > i) {
      put8(out, static_cast<unsigned>(dot - i));
      out.insert(out.end(), dotted.begin() + static_cast<std::ptrdiff_t>(i),
                 dotted.begin() + static_cast<std::ptrdiff_t>(dot));
    }
    i = dot + 1;
  }
  put8(out, 0);
  return out;
}

namespace type {
inline constexpr std::uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, TXT = 16, AAAA = 28,
                               OPT = 41;
}

struct RR {
  std::string owner;
  std::uint16_t type = type::A;
  std::uint16_t cls = 1;
  std::uint32_t ttl = 300;
  Bytes rdata;
  Bytes ownerRaw;                          // when set, written instead of `owner`
  std::optional<std::uint16_t> rdlength;   // when set, written instead of rdata.size()
};

inline RR aRecord(std::string owner, std::uint8_t a, std::uint8_t b, std::uint8_t c,
                  std::uint8_t d, std::uint32_t ttl = 300) {
  return RR{std::move(owner), type::A, 1, ttl, Bytes{a, b, c, d}, {}, {}};
}
inline RR nameRecord(std::string owner, std::uint16_t t, std::string_view target,
                     std::uint32_t ttl = 300) {
  return RR{std::move(owner), t, 1, ttl, nameWire(target), {}, {}};
}
inline RR cnameRecord(std::string owner, std::string_view target, std::uint32_t ttl = 300) {
  return nameRecord(std::move(owner), type::CNAME, target, ttl);
}
inline RR nsRecord(std::string owner, std::string_view target, std::uint32_t ttl = 300) {
  return nameRecord(std::move(owner), type::NS, target, ttl);
}
inline RR mxRecord(std::string owner, std::uint16_t pref, std::string_view exchange,
                   std::uint32_t ttl = 300) {
  Bytes rd;
  put16(rd, pref);
  Bytes n = nameWire(exchange);
  rd.insert(rd.end(), n.begin(), n.end());
  return RR{std::move(owner), type::MX, 1, ttl, rd, {}, {}};
}
inline RR txtRecord(std::string owner, const std::vector<std::string>& strings,
                    std::uint32_t ttl = 300) {
  Bytes rd;
  for (const auto& s : strings) {
    put8(rd, static_cast<unsigned>(s.size()));
    rd.insert(rd.end(), s.begin(), s.end());
  }
  return RR{std::move(owner), type::TXT, 1, ttl, rd, {}, {}};
}
inline RR soaRecord(std::string owner, std::uint32_t ttl, std::uint32_t minimum) {
  Bytes rd = nameWire("ns1." + owner);
  Bytes rname = nameWire("hostmaster." + owner);
  rd.insert(rd.end(), rname.begin(), rname.end());
  put32(rd, 2024010101);  // serial
  put32(rd, 3600);        // refresh
  put32(rd, 600);         // retry
  put32(rd, 604800);      // expire
  put32(rd, minimum);
  return RR{std::move(owner), type::SOA, 1, ttl, rd, {}, {}};
}

struct QuestionEntry {
  std::string name;
  std::uint16_t type = type::A;
  std::uint16_t cls = 1;
};

struct Message {
  std::uint16_t id = 0;
  bool qr = true;
  unsigned opcode = 0;
  bool aa = false, tc = false, rd = true, ra = true;
  unsigned rcode = 0;
  std::vector<QuestionEntry> questions;
  std::vector<RR> answer, authority, additional;
  std::optional<std::uint16_t> qdcount, ancount, nscount, arcount;  // header overrides
  Bytes trailing;

  Bytes encode() const {
    Bytes b;
    put16(b, id);
    unsigned flags = (qr ? 0x8000u : 0) | ((opcode & 0xf) << 11) | (aa ? 0x0400u : 0) |
                     (tc ? 0x0200u : 0) | (rd ? 0x0100u : 0) | (ra ? 0x0080u : 0) |
                     (rcode & 0xf);
    put16(b, flags);
    put16(b, qdcount.value_or(static_cast<std::uint16_t>(questions.size())));
    put16(b, ancount.value_or(static_cast<std::uint16_t>(answer.size())));
    put16(b, nscount.value_or(static_cast<std::uint16_t>(authority.size())));
    put16(b, arcount.value_or(static_cast<std::uint16_t>(additional.size())));
    for (const auto& q : questions) {
      Bytes n = nameWire(q.name);
      b.insert(b.end(), n.begin(), n.end());
      put16(b, q.type);
      put16(b, q.cls);
    }
    for (const auto* section : {&answer, &authority, &additional}) {
      for (const auto& rr : *section) {
        Bytes n = rr.ownerRaw.empty() ? nameWire(rr.owner) : rr.ownerRaw;
        b.insert(b.end(), n.begin(), n.end());
        put16(b, rr.type);
        put16(b, rr.cls);
        put32(b, rr.ttl);
        put16(b, rr.rdlength.value_or(static_cast<std::uint16_t>(rr.rdata.size())));
        b.insert(b.end(), rr.rdata.begin(), rr.rdata.end());
      }
    }
    b.insert(b.end(), trailing.begin(), trailing.end());
    return b;
  }
};

// What the responder needs from a received query.
struct ParsedQuery {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::string qname;  // dotted, as received (case kept), no trailing dot; "" for the root
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  bool rd = false;
  bool hasOpt = false;
  std::uint16_t optPayload = 0;
  std::uint16_t arcount = 0;
};

// Parses a query with one question and optional OPT (uncompressed names only, as queries are).
inline std::optional<ParsedQuery> parseQuery(const std::uint8_t* d, std::size_t len) {
  if (len < 12) return std::nullopt;
  ParsedQuery q;
  q.id = static_cast<std::uint16_t>((d[0] << 8) | d[1]);
  q.flags = static_cast<std::uint16_t>((d[2] << 8) | d[3]);
  q.rd = (q.flags & 0x0100) != 0;
  unsigned qd = static_cast<unsigned>((d[4] << 8) | d[5]);
  q.arcount = static_cast<std::uint16_t>((d[10] << 8) | d[11]);
  if (qd != 1) return std::nullopt;
  std::size_t pos = 12;
  while (pos < len && d[pos] != 0) {
    std::size_t l = d[pos];
    if (l > 63 || pos + 1 + l >= len) return std::nullopt;
    if (!q.qname.empty()) q.qname.push_back('.');
    q.qname.append(reinterpret_cast<const char*>(d + pos + 1), l);
    pos += 1 + l;
  }
  if (pos + 5 > len) return std::nullopt;
  ++pos;
  q.qtype = static_cast<std::uint16_t>((d[pos] << 8) | d[pos + 1]);
  q.qclass = static_cast<std::uint16_t>((d[pos + 2] << 8) | d[pos + 3]);
  pos += 4;
  if (q.arcount == 1 && pos + 11 <= len && d[pos] == 0 &&
      ((d[pos + 1] << 8) | d[pos + 2]) == type::OPT) {
    q.hasOpt = true;
    q.optPayload = static_cast<std::uint16_t>((d[pos + 3] << 8) | d[pos + 4]);
  }
  return q;
}

// A response skeleton echoing the query's ID, RD bit and question.
inline Message replyTo(const ParsedQuery& q) {
  Message m;
  m.id = q.id;
  m.rd = q.rd;
  m.questions.push_back({q.qname, q.qtype, q.qclass});
  return m;
}

}  // namespace offboard::fakes
