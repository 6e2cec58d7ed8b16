#include "resolvers/wire.h"

#include <arpa/inet.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "resolvers/rr_convert.h"

namespace offboard {
namespace {

constexpr std::size_t kHeaderOctets = 12;
constexpr std::size_t kNoEnd = static_cast<std::size_t>(-1);

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Offset just past the (possibly compressed) name starting at `pos`, or kNoEnd. Only the
// octets in place are skipped: a compression pointer ends the name here (RFC 1035 §4.1.4).
std::size_t skipName(const std::uint8_t* d, std::size_t len, std::size_t pos) {
  while (pos < len) {
    std::uint8_t b = d[pos];
    if (b == 0) return pos + 1;
    if ((b & 0xC0) == 0xC0) return pos + 2 <= len ? pos + 2 : kNoEnd;
    if (b & 0xC0) return kNoEnd;
    pos += 1 + static_cast<std::size_t>(b);
  }
  return kNoEnd;
}

// True when the RDATA of a type offboard interprets fills exactly its RDLENGTH. ldns 1.8.3
// stops reading at the last field it expects and ignores octets left over, so an MX with a
// stray octet after the exchange would otherwise pass (Unbound scrubs these: iter_scrub_rr_length).
bool rdataFillsLength(const std::uint8_t* d, std::size_t start, std::size_t end,
                      std::uint16_t type) {
  auto nameEndsAt = [&](std::size_t pos) {
    return pos < end ? skipName(d, end, pos) : kNoEnd;
  };
  switch (static_cast<RRType>(type)) {
    case RRType::A: return end - start == 4;
    case RRType::AAAA: return end - start == 16;
    case RRType::NS:
    case RRType::CNAME:
    case RRType::PTR: return nameEndsAt(start) == end;
    case RRType::MX: return nameEndsAt(start + 2) == end;
    case RRType::SRV: return nameEndsAt(start + 6) == end;
    case RRType::SOA: {
      std::size_t p = nameEndsAt(start);
      p = p == kNoEnd ? kNoEnd : nameEndsAt(p);
      return p != kNoEnd && p + 20 == end;
    }
    case RRType::TXT: {
      std::size_t p = start;
      if (p == end) return false;
      while (p < end) p += 1 + static_cast<std::size_t>(d[p]);
      return p == end;
    }
    default: return true;
  }
}

struct Extent {
  std::size_t end = kNoEnd;  // where the last record ends, kNoEnd when the sections overrun
  std::string problem;       // non-empty when a record's RDATA does not fill its RDLENGTH
};

// Where the last record ends according to the header counts and each RDLENGTH. ldns 1.8.3
// accepts octets after that point; we do not (reliability rule: reject trailing data).
Extent messageExtent(const std::uint8_t* d, std::size_t len) {
  Extent x;
  std::size_t pos = kHeaderOctets;
  std::size_t qd = get16(d + 4);
  std::size_t rrs = std::size_t{get16(d + 6)} + get16(d + 8) + get16(d + 10);
  for (std::size_t i = 0; i < qd; ++i) {
    pos = skipName(d, len, pos);
    if (pos == kNoEnd || pos + 4 > len) return x;
    pos += 4;
  }
  for (std::size_t i = 0; i < rrs; ++i) {
    pos = skipName(d, len, pos);
    if (pos == kNoEnd || pos + 10 > len) return x;
    std::uint16_t type = get16(d + pos);
    std::size_t rdlength = get16(d + pos + 8);
    std::size_t start = pos + 10;
    pos = start + rdlength;
    if (pos > len) return x;
    if (x.problem.empty() && !rdataFillsLength(d, start, pos, type)) {
      x.problem = rrTypeName(static_cast<RRType>(type)) + " RDATA does not fill its RDLENGTH of " +
                  std::to_string(rdlength);
    }
  }
  x.end = pos;
  return x;
}

std::string rcodeText(unsigned rcode) {
  switch (rcode) {
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return std::to_string(rcode);
  }
}

// A class-IN record with its owner decoded: held either as an ldns record (the general path)
// or as offsets into the message (the direct path for plain answers, see parseDirect).
struct Rr {
  DnsName owner;
  RRType type;
  const ldns_rr* rr = nullptr;  // the ldns path
  std::uint32_t ttl = 0;        // the direct path: the record's fields and where its RDATA is
  std::size_t rdata = 0;
  std::size_t rdlength = 0;
};

std::vector<Rr> classInRecords(const ldns_rr_list* list) {
  std::vector<Rr> out;
  if (!list) return out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) continue;  // CH/HS/… answer nothing we asked
    auto owner = nameFromRdf(ldns_rr_owner(rr));
    if (!owner) continue;
    Rr e;
    e.owner = std::move(*owner);
    e.type = static_cast<RRType>(ldns_rr_get_type(rr));
    e.rr = rr;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Record> convertAll(const std::vector<Rr>& rrs) {
  std::vector<Record> out;
  for (const auto& e : rrs) {
    if (auto r = recordFromLdns(e.rr)) out.push_back(std::move(*r));
  }
  return out;
}

std::string chainText(const std::vector<DnsName>& names) {
  std::string s;
  for (const auto& n : names) {
    if (!s.empty()) s += " -> ";
    s += n.toString();
  }
  return s;
}

// --- the direct path --------------------------------------------------------------------------
// ldns_wire2pkt builds a tree of allocations for every record and costs more than everything
// else a scan does with an answer. Plain answers — one question, names with backward
// compression pointers only, records of the types below whose RDATA fills RDLENGTH exactly, at
// most one OPT (in the additional section, owned by the root), nothing after the last record —
// are read here straight from the octets instead. Anything else, including every malformed
// message, takes the ldns path, so the outcome and its detail text come from one place. A
// differential test (tests/unit/test_wire_direct.cc) holds the two paths to the same result.

bool directType(std::uint16_t t) {
  switch (static_cast<RRType>(t)) {
    case RRType::A:
    case RRType::NS:
    case RRType::CNAME:
    case RRType::SOA:
    case RRType::PTR:
    case RRType::MX:
    case RRType::TXT:
    case RRType::AAAA:
    case RRType::SRV:
      return true;
    default:
      return false;
  }
}

// Reads the name at `pos`: its labels into *labels (when given), the offset just past it in
// place into *next. False for anything the direct path does not take: a forward or self
// pointer, a pointer into the header, more than 64 pointers, label types 0x40/0x80, a name
// over 255 octets, or the message ending inside the name.
bool directName(const std::uint8_t* d, std::size_t len, std::size_t pos, std::size_t* next,
                std::vector<std::string>* labels) {
  std::size_t wireLength = 1;
  std::size_t after = kNoEnd;
  int jumps = 0;
  for (;;) {
    if (pos >= len) return false;
    std::uint8_t b = d[pos];
    if ((b & 0xC0) == 0xC0) {
      if (pos + 1 >= len || ++jumps > 64) return false;
      std::size_t target = (std::size_t{b & 0x3Fu} << 8) | d[pos + 1];
      if (target >= pos || target < kHeaderOctets) return false;
      if (after == kNoEnd) after = pos + 2;
      pos = target;
      continue;
    }
    if (b & 0xC0) return false;
    if (b == 0) {
      if (after == kNoEnd) after = pos + 1;
      break;
    }
    if (pos + 1 + b > len) return false;
    wireLength += 1 + b;
    if (wireLength > DnsName::kMaxWire) return false;
    if (labels) labels->emplace_back(reinterpret_cast<const char*>(d + pos + 1), b);
    pos += 1 + b;
  }
  if (next) *next = after;
  return true;
}

std::optional<DnsName> directDnsName(const std::uint8_t* d, std::size_t len, std::size_t pos) {
  std::vector<std::string> labels;
  if (!directName(d, len, pos, nullptr, &labels)) return std::nullopt;
  return DnsName::fromLabels(std::move(labels));
}

// True when every name in the RDATA of a direct-path type is one directName reads.
bool directRdataNames(const std::uint8_t* d, std::size_t len, std::uint16_t type,
                      std::size_t start) {
  switch (static_cast<RRType>(type)) {
    case RRType::NS:
    case RRType::CNAME:
    case RRType::PTR: return directName(d, len, start, nullptr, nullptr);
    case RRType::MX: return directName(d, len, start + 2, nullptr, nullptr);
    case RRType::SRV: return directName(d, len, start + 6, nullptr, nullptr);
    case RRType::SOA: {
      std::size_t next = 0;
      return directName(d, len, start, &next, nullptr) && directName(d, len, next, nullptr, nullptr);
    }
    default: return true;
  }
}

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

// What the classification needs from a message, from either path.
struct Parsed {
  bool qr = false, aa = false, tc = false, ra = false;
  unsigned opcode = 0;
  std::uint16_t id = 0;
  std::size_t qdcount = 0;
  bool oneQuestion = false;  // exactly one question was parsed
  std::optional<DnsName> qname;
  RRType qtype = RRType::A;
  std::uint16_t qclass = 0;
  unsigned rcode = 0;  // with the EDNS extended bits
  std::vector<Rr> answer, authority;
};

// The direct read of a plain answer (see above); nullopt sends the message to the ldns path.
std::optional<Parsed> parseDirect(const std::uint8_t* d, std::size_t len) {
  Parsed p;
  p.id = get16(d);
  p.qr = d[2] & 0x80;
  p.opcode = (d[2] >> 3) & 0x0F;
  p.aa = d[2] & 0x04;
  p.tc = d[2] & 0x02;
  p.ra = d[3] & 0x80;
  p.rcode = d[3] & 0x0F;
  p.qdcount = get16(d + 4);
  const std::size_t counts[3] = {get16(d + 6), get16(d + 8), get16(d + 10)};
  if (p.qdcount != 1) return std::nullopt;
  std::size_t pos = kHeaderOctets;
  std::vector<std::string> labels;
  if (!directName(d, len, pos, &pos, &labels) || pos + 4 > len) return std::nullopt;
  p.qname = DnsName::fromLabels(std::move(labels));
  if (!p.qname) return std::nullopt;
  p.qtype = static_cast<RRType>(get16(d + pos));
  p.qclass = get16(d + pos + 2);
  p.oneQuestion = true;
  pos += 4;
  bool opt = false;
  for (int section = 0; section < 3; ++section) {
    for (std::size_t i = 0; i < counts[section]; ++i) {
      const std::size_t ownerAt = pos;
      if (!directName(d, len, pos, &pos, nullptr) || pos + 10 > len) return std::nullopt;
      const std::uint16_t type = get16(d + pos);
      const std::uint16_t cls = get16(d + pos + 2);
      const std::uint32_t ttl = get32(d + pos + 4);
      const std::size_t rdlength = get16(d + pos + 8);
      const std::size_t start = pos + 10;
      pos = start + rdlength;
      if (pos > len) return std::nullopt;
      if (static_cast<RRType>(type) == RRType::OPT) {
        if (section != 2 || opt || d[ownerAt] != 0) return std::nullopt;
        opt = true;
        p.rcode |= (ttl >> 24) << 4;  // RFC 6891 §6.1.3: the upper 8 bits of the rcode
        continue;
      }
      if (!directType(type) || !rdataFillsLength(d, start, pos, type) ||
          !directRdataNames(d, len, type, start)) {
        return std::nullopt;
      }
      if (section == 2 || cls != 1) continue;  // additional: not needed without sections
      auto owner = directDnsName(d, len, ownerAt);
      if (!owner) return std::nullopt;
      Rr e;
      e.owner = std::move(*owner);
      e.type = static_cast<RRType>(type);
      e.ttl = ttl;
      e.rdata = start;
      e.rdlength = rdlength;
      (section == 0 ? p.answer : p.authority).push_back(std::move(e));
    }
  }
  if (pos != len) return std::nullopt;
  return p;
}

// A direct-path record as recordFromLdns would give it (rr_convert.cc; same text forms).
std::optional<Record> directRecord(const std::uint8_t* d, std::size_t len, const Rr& e) {
  Record r;
  r.name = e.owner;
  r.type = e.type;
  r.ttl = e.ttl;
  const std::size_t s = e.rdata;
  switch (e.type) {
    case RRType::NS:
    case RRType::CNAME:
    case RRType::PTR: {
      auto t = directDnsName(d, len, s);
      if (!t) return std::nullopt;
      r.target = std::move(*t);
      r.data = r.target.toString();
      break;
    }
    case RRType::MX: {
      auto t = directDnsName(d, len, s + 2);
      if (!t) return std::nullopt;
      r.preference = get16(d + s);
      r.target = std::move(*t);
      r.data = std::to_string(r.preference) + " " + r.target.toString();
      break;
    }
    case RRType::SRV: {
      auto t = directDnsName(d, len, s + 6);
      if (!t) return std::nullopt;
      r.preference = get16(d + s);
      r.weight = get16(d + s + 2);
      r.port = get16(d + s + 4);
      r.target = std::move(*t);
      r.data = std::to_string(r.preference) + " " + std::to_string(r.weight) + " " +
               std::to_string(r.port) + " " + r.target.toString();
      break;
    }
    case RRType::TXT: {
      for (std::size_t p = s; p < s + e.rdlength; p += 1 + d[p]) {
        r.strings.emplace_back(reinterpret_cast<const char*>(d + p + 1), d[p]);
        if (p != s) r.data.push_back(' ');
        r.data += quoteTxtString(r.strings.back());
      }
      break;
    }
    case RRType::A: {
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, d + s, buf, sizeof buf);
      r.data = buf;
      break;
    }
    case RRType::AAAA: {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, d + s, buf, sizeof buf);
      r.data = buf;
      break;
    }
    case RRType::SOA: {
      std::size_t next = 0;
      std::vector<std::string> labels;
      if (!directName(d, len, s, &next, &labels)) return std::nullopt;
      auto mname = DnsName::fromLabels(std::move(labels));
      std::size_t numbers = 0;
      labels.clear();
      if (!directName(d, len, next, &numbers, &labels)) return std::nullopt;
      auto rname = DnsName::fromLabels(std::move(labels));
      if (!mname || !rname) return std::nullopt;
      r.target = *mname;
      r.data = mname->toString() + " " + rname->toString();
      for (int i = 0; i < 5; ++i) r.data += " " + std::to_string(get32(d + numbers + 4 * i));
      break;
    }
    default:
      return std::nullopt;
  }
  return r;
}

// --- one classification for both paths --------------------------------------------------------

// The record `e` as a Record (from ldns or from the octets), with *error set when it fails.
std::optional<Record> toRecord(const std::uint8_t* d, std::size_t len, const Rr& e,
                               std::string* error) {
  if (e.rr) return recordFromLdns(e.rr, error);
  auto r = directRecord(d, len, e);
  if (!r && error) *error = rrTypeName(e.type) + " record of " + e.owner.toString() + " has bad RDATA";
  return r;
}

// The negative-caching TTL of an SOA record: min(TTL, MINIMUM) (RFC 2308 §5).
std::optional<std::uint32_t> soaNegativeTtl(const std::uint8_t* d, const Rr& e) {
  if (!e.rr) return std::min(e.ttl, get32(d + e.rdata + e.rdlength - 4));
  if (ldns_rr_rd_count(e.rr) != 7) return std::nullopt;
  const ldns_rdf* minimum = ldns_rr_rdf(e.rr, 6);
  if (ldns_rdf_size(minimum) != 4) return std::nullopt;
  return std::min(ldns_rr_ttl(e.rr), ldns_rdf2native_int32(minimum));
}

}  // namespace

std::vector<std::uint8_t> buildQuery(const Question& q, std::uint16_t id, bool recursionDesired,
                                     bool edns) {
  std::vector<std::uint8_t> out;
  buildQueryInto(out, q, id, recursionDesired, edns);
  return out;
}

void buildQueryInto(std::vector<std::uint8_t>& out, const Question& q, std::uint16_t id,
                    bool recursionDesired, bool edns) {
  out.clear();
  if (q.name.isEmpty()) return;
  out.reserve(kHeaderOctets + q.name.wireLength() + 4 + (edns ? 11 : 0));
  put16(out, id);
  put16(out, recursionDesired ? 0x0100 : 0x0000);  // QR=0, opcode QUERY, RD as asked
  put16(out, 1);                                   // QDCOUNT
  put16(out, 0);                                   // ANCOUNT
  put16(out, 0);                                   // NSCOUNT
  put16(out, edns ? 1 : 0);                        // ARCOUNT
  for (const auto& label : q.name.labels()) {
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.push_back(0);
  put16(out, static_cast<std::uint16_t>(q.type));
  put16(out, 1);  // class IN
  if (edns) {
    // OPT pseudo-RR (RFC 6891 §6.1.2): root owner, CLASS = payload, TTL = 0 (version 0, DO=0).
    out.push_back(0);
    put16(out, static_cast<std::uint16_t>(RRType::OPT));
    put16(out, kEdnsPayload);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);  // RDLENGTH
  }
}

bool readsDirectly(const std::uint8_t* data, std::size_t len) {
  if (!data || len < kHeaderOctets || len > kMaxMessageOctets) return false;
  std::size_t declared = std::size_t{get16(data + 4)} + get16(data + 6) + get16(data + 8) +
                         get16(data + 10);
  return declared <= kMaxRecordsPerMessage && parseDirect(data, len).has_value();
}

WireAnswer classifyResponse(const Question& q, std::uint16_t expectedId, const std::uint8_t* data,
                            std::size_t len, const std::string& server) {
  return classifyResponse(q, expectedId, data, len, server, true);
}

WireAnswer classifyResponse(const Question& q, std::uint16_t expectedId, const std::uint8_t* data,
                            std::size_t len, const std::string& server, bool keepSections) {
  WireAnswer w;
  w.obs.question = q;
  w.obs.server = server;
  auto fail = [&w](Outcome o, std::string detail) {
    w.obs.outcome = o;
    w.obs.detail = std::move(detail);
    w.obs.answer.clear();
    w.obs.chain.clear();
    w.obs.negativeTtl.reset();
    w.referral = false;
    return w;
  };

  if (!data) len = 0;
  if (len > kMaxMessageOctets) {
    return fail(Outcome::Malformed,
                "message of " + std::to_string(len) + " octets exceeds 65535 octets");
  }
  if (len < kHeaderOctets) {
    return fail(Outcome::Malformed,
                "message of " + std::to_string(len) + " octets is shorter than a DNS header");
  }
  std::size_t qdcount = get16(data + 4);
  std::size_t declared = qdcount + get16(data + 6) + get16(data + 8) + get16(data + 10);
  if (declared > kMaxRecordsPerMessage) {
    return fail(Outcome::Malformed, "header declares " + std::to_string(declared) +
                                        " records, more than the limit of " +
                                        std::to_string(kMaxRecordsPerMessage));
  }

  std::optional<Parsed> direct;
  if (!keepSections) direct = parseDirect(data, len);
  LdnsPkt pkt;
  Parsed p;
  if (direct) {
    p = std::move(*direct);
  } else {
    ldns_pkt* raw = nullptr;
    ldns_status st = ldns_wire2pkt(&raw, data, len);
    pkt.reset(raw);
    if (st != LDNS_STATUS_OK || !pkt) {
      return fail(Outcome::Malformed, std::string("unparseable: ") + ldns_get_errorstr_by_id(st));
    }
    Extent extent = messageExtent(data, len);
    if (extent.end == kNoEnd) {
      return fail(Outcome::Malformed, "unparseable: sections overrun the message");
    }
    if (extent.end != len) {
      return fail(Outcome::Malformed, std::to_string(len - extent.end) +
                                          " octets of trailing data after the last record");
    }
    if (!extent.problem.empty()) return fail(Outcome::Malformed, extent.problem);
    p.qr = ldns_pkt_qr(pkt.get());
    p.aa = ldns_pkt_aa(pkt.get());
    p.tc = ldns_pkt_tc(pkt.get());
    p.ra = ldns_pkt_ra(pkt.get());
    p.opcode = ldns_pkt_get_opcode(pkt.get());
    p.id = ldns_pkt_id(pkt.get());
    p.qdcount = qdcount;
    const ldns_rr_list* question = ldns_pkt_question(pkt.get());
    if (question && ldns_rr_list_rr_count(question) == 1) {
      const ldns_rr* qrr = ldns_rr_list_rr(question, 0);
      p.oneQuestion = true;
      p.qname = nameFromRdf(ldns_rr_owner(qrr));
      p.qtype = static_cast<RRType>(ldns_rr_get_type(qrr));
      p.qclass = static_cast<std::uint16_t>(ldns_rr_get_class(qrr));
    }
    // The full rcode includes the upper 8 bits carried in the OPT record (RFC 6891 §6.1.3).
    p.rcode = static_cast<unsigned>(ldns_pkt_get_rcode(pkt.get())) |
              (static_cast<unsigned>(ldns_pkt_edns_extended_rcode(pkt.get())) << 4);
  }

  w.aa = p.aa;
  w.tc = p.tc;
  w.ra = p.ra;

  // c-ares 1.18.1 checks the ID and the question but not QR or the opcode (reliability §0.3).
  if (!p.qr) return fail(Outcome::Malformed, "QR bit not set (not a response)");
  if (p.opcode != LDNS_PACKET_QUERY) {
    return fail(Outcome::Malformed, "opcode " + std::to_string(p.opcode) + " is not QUERY");
  }
  if (p.id != expectedId) {
    return fail(Outcome::Malformed, "ID " + std::to_string(p.id) + " does not match the query's " +
                                        std::to_string(expectedId));
  }
  if (p.qdcount != 1 || !p.oneQuestion) {
    return fail(Outcome::Malformed, "QDCOUNT is " + std::to_string(p.qdcount) + ", expected 1");
  }
  if (!p.qname || *p.qname != q.name || p.qtype != q.type || p.qclass != LDNS_RR_CLASS_IN) {
    return fail(Outcome::Malformed, "the response is for another question");
  }
  if (w.tc) return fail(Outcome::Malformed, "truncated");

  switch (p.rcode) {
    case 0:
    case 3:
      break;
    case 1: return fail(Outcome::FormErr, "rcode FORMERR");
    case 2: return fail(Outcome::ServFail, "rcode SERVFAIL");
    case 4: return fail(Outcome::NotImp, "rcode NOTIMP");
    case 5: return fail(Outcome::Refused, "rcode REFUSED");
    default: return fail(Outcome::OtherRcode, "rcode " + rcodeText(p.rcode));
  }
  const bool nxdomain = p.rcode == 3;

  if (pkt) {
    p.authority = classInRecords(ldns_pkt_authority(pkt.get()));
    p.answer = classInRecords(ldns_pkt_answer(pkt.get()));
    if (keepSections) {
      w.authority = convertAll(p.authority);
      w.additional = convertAll(classInRecords(ldns_pkt_additional(pkt.get())));
    }
  }

  // Walk the answer section from the question name (RFC 1034 §3.6.2, §4.3.2). Records that are
  // not on the chain are dropped: a server has no business answering for other names.
  DnsName current = q.name;
  std::vector<DnsName> seen{q.name};
  std::vector<Record> answer, chain;
  for (;;) {
    std::vector<const Rr*> typed, cnames;
    for (const auto& e : p.answer) {
      if (e.owner != current) continue;
      if (e.type == q.type || q.type == RRType::ANY) {
        typed.push_back(&e);
      } else if (e.type == RRType::CNAME) {
        cnames.push_back(&e);
      }
    }
    if (!typed.empty()) {
      if (!cnames.empty()) {
        return fail(Outcome::Malformed,
                    "CNAME and other data at " + current.toString() + " (RFC 2181 §10.1)");
      }
      for (const Rr* e : typed) {
        std::string err;
        auto r = toRecord(data, len, *e, &err);
        if (!r) return fail(Outcome::Malformed, err);
        answer.push_back(std::move(*r));
      }
      break;
    }
    if (cnames.empty()) break;
    std::optional<Record> cname;
    for (const Rr* e : cnames) {
      std::string err;
      auto r = toRecord(data, len, *e, &err);
      if (!r) return fail(Outcome::Malformed, err);
      if (cname && cname->target != r->target) {
        return fail(Outcome::Malformed,
                    "several CNAMEs at " + current.toString() + " (RFC 2181 §10.1)");
      }
      if (!cname || r->ttl < cname->ttl) cname = std::move(*r);
    }
    DnsName next = cname->target;
    chain.push_back(std::move(*cname));
    seen.push_back(next);
    if (std::find(seen.begin(), seen.end() - 1, next) != seen.end() - 1) {
      return fail(Outcome::CnameLoop, "CNAME loop: " + chainText(seen));
    }
    if (chain.size() > kMaxCnameChain) {
      return fail(Outcome::ChainTooLong, "CNAME chain longer than " +
                                             std::to_string(kMaxCnameChain) + ": " +
                                             chainText(seen));
    }
    current = std::move(next);
  }

  // One RRset, one TTL (RFC 2181 §5.2: differing TTLs are treated as the minimum); identical
  // records are one record (RFC 2181 §5).
  if (!answer.empty()) {
    std::uint32_t ttl = answer.front().ttl;
    for (const auto& r : answer) ttl = std::min(ttl, r.ttl);
    std::vector<Record> unique;
    for (auto& r : answer) {
      r.ttl = ttl;
      bool dup = std::any_of(unique.begin(), unique.end(), [&](const Record& u) {
        return u.type == r.type && u.data == r.data;
      });
      if (!dup) unique.push_back(std::move(r));
    }
    answer = std::move(unique);
  }

  std::optional<std::uint32_t> negativeTtl;
  for (const auto& e : p.authority) {
    if (e.type == RRType::SOA && current.isPartOf(e.owner)) {
      negativeTtl = soaNegativeTtl(data, e);
      if (negativeTtl) break;
    }
  }

  w.obs.chain = std::move(chain);
  if (nxdomain) {
    if (!answer.empty()) {
      return fail(Outcome::Malformed, "NXDOMAIN with records of the asked type");
    }
    if (!negativeTtl) {
      return fail(Outcome::Malformed, "NXDOMAIN without an SOA in authority (RFC 2308 §2.1)");
    }
    w.obs.outcome = Outcome::NxDomain;
    w.obs.negativeTtl = negativeTtl;
    return w;
  }
  if (!answer.empty()) {
    w.obs.outcome = Outcome::Answer;
    w.obs.answer = std::move(answer);
    return w;
  }
  if (negativeTtl) {
    w.obs.outcome = Outcome::NoData;
    w.obs.negativeTtl = negativeTtl;
    return w;
  }
  if (!w.aa) {
    // A delegation: NS records for a zone enclosing the name, no SOA (RFC 1034 §4.3.2 step 3b).
    std::optional<DnsName> zone;
    for (const auto& e : p.authority) {
      if (e.type == RRType::NS && current.isPartOf(e.owner)) {
        zone = e.owner;
        break;
      }
    }
    if (zone) {
      w.referral = true;
      w.obs.outcome = Outcome::NotAvailable;
      w.obs.detail = "referral to " + zone->toString();
      return w;
    }
  }
  if (!w.obs.chain.empty()) {
    w.obs.outcome = Outcome::NotAvailable;
    w.obs.detail = "CNAME chain ends at " + current.toString() + " without an answer";
    return w;
  }
  return fail(Outcome::Malformed,
              "NOERROR with no answer and no SOA in authority (RFC 2308 §2.2)");
}

}  // namespace offboard
