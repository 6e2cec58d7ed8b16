#include "resolvers/wire.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "resolvers/rr_convert.h"

#include <ares.h>

namespace offboard {
namespace {

constexpr std::size_t kHeaderOctets = 12;
constexpr std::size_t kNoEnd = static_cast<std::size_t>(-1);

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
    // Four octets of fixed fields (RFC 4034 §5.1, §2.1), then a digest or key of at least one.
    case RRType::DS:
    case RRType::DNSKEY: return end - start > 4;
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

// Calls f(rr) for each record of `list` of class IN (CH/HS/… answer nothing we asked).
template <typename F>
void forEachClassIn(const ldns_rr_list* list, F&& f) {
  if (!list) return;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN) f(rr);
  }
}

// A class-IN record with a valid owner name. DnsName is the wire form itself, so decoding the
// owner costs one copy (none for a short name) and comparisons are byte compares.
struct AnswerRr {
  DnsName owner;
  RRType type;
  const ldns_rr* rr;
};

std::vector<AnswerRr> classInRecords(const ldns_rr_list* list) {
  std::vector<AnswerRr> out;
  out.reserve(list ? ldns_rr_list_rr_count(list) : 0);
  forEachClassIn(list, [&out](const ldns_rr* rr) {
    if (auto owner = nameFromRdf(ldns_rr_owner(rr)))
      out.push_back({std::move(*owner), static_cast<RRType>(ldns_rr_get_type(rr)), rr});
  });
  return out;
}

// The class-IN records of the answer section, owners not decoded: the CNAME walk compares each
// owner with the name it is at (rdfIsName), and a record that matches has that name as owner.
struct AnswerRef {
  const ldns_rdf* owner;
  RRType type;
  const ldns_rr* rr;
};

std::vector<AnswerRef> classInRefs(const ldns_rr_list* list) {
  std::vector<AnswerRef> out;
  out.reserve(list ? ldns_rr_list_rr_count(list) : 0);
  forEachClassIn(list, [&out](const ldns_rr* rr) {
    out.push_back({ldns_rr_owner(rr), static_cast<RRType>(ldns_rr_get_type(rr)), rr});
  });
  return out;
}

std::vector<Record> convertAll(const std::vector<AnswerRr>& rrs) {
  std::vector<Record> out;
  for (const auto& e : rrs) {
    if (auto r = recordFromLdns(e.rr, e.owner)) out.push_back(std::move(*r));
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

// The negative-caching TTL of an SOA record: min(TTL, MINIMUM) (RFC 2308 §5).
std::optional<std::uint32_t> soaNegativeTtl(const ldns_rr* rr) {
  if (ldns_rr_rd_count(rr) != 7) return std::nullopt;
  const ldns_rdf* minimum = ldns_rr_rdf(rr, 6);
  if (ldns_rdf_size(minimum) != 4) return std::nullopt;
  return std::min(ldns_rr_ttl(rr), ldns_rdf2native_int32(minimum));
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
  const std::string_view labels = q.name.wireLabels();
  out.resize(kHeaderOctets + labels.size() + 1 + 4 + (edns ? 11 : 0));
  std::uint8_t* p = out.data();
  auto put = [&p](std::uint16_t v) {
    *p++ = static_cast<std::uint8_t>(v >> 8);
    *p++ = static_cast<std::uint8_t>(v & 0xff);
  };
  put(id);
  put(recursionDesired ? 0x0100 : 0x0000);  // QR=0, opcode QUERY, RD as asked
  put(1);                                   // QDCOUNT
  put(0);                                   // ANCOUNT
  put(0);                                   // NSCOUNT
  put(edns ? 1 : 0);                        // ARCOUNT
  std::memcpy(p, labels.data(), labels.size());
  p += labels.size();
  *p++ = 0;
  put(static_cast<std::uint16_t>(q.type));
  put(1);  // class IN
  if (edns) {
    // OPT pseudo-RR (RFC 6891 §6.1.2): root owner, CLASS = payload, TTL = 0 (version 0, DO=0).
    *p++ = 0;
    put(static_cast<std::uint16_t>(RRType::OPT));
    put(kEdnsPayload);
    put(0);
    put(0);
    put(0);  // RDLENGTH
  }
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

  ldns_pkt* raw = nullptr;
  ldns_status st = ldns_wire2pkt(&raw, data, len);
  LdnsPkt pkt(raw);
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

  w.aa = ldns_pkt_aa(pkt.get());
  w.tc = ldns_pkt_tc(pkt.get());
  w.ra = ldns_pkt_ra(pkt.get());

  // c-ares 1.18.1 checks the ID and the question but not QR or the opcode (reliability §0.3).
  if (!ldns_pkt_qr(pkt.get())) return fail(Outcome::Malformed, "QR bit not set (not a response)");
  if (ldns_pkt_get_opcode(pkt.get()) != LDNS_PACKET_QUERY) {
    return fail(Outcome::Malformed, "opcode " + std::to_string(ldns_pkt_get_opcode(pkt.get())) +
                                        " is not QUERY");
  }
  if (ldns_pkt_id(pkt.get()) != expectedId) {
    return fail(Outcome::Malformed, "ID " + std::to_string(ldns_pkt_id(pkt.get())) +
                                        " does not match the query's " +
                                        std::to_string(expectedId));
  }
  const ldns_rr_list* question = ldns_pkt_question(pkt.get());
  if (qdcount != 1 || !question || ldns_rr_list_rr_count(question) != 1) {
    return fail(Outcome::Malformed, "QDCOUNT is " + std::to_string(qdcount) + ", expected 1");
  }
  {
    const ldns_rr* qrr = ldns_rr_list_rr(question, 0);
    if (!rdfIsName(ldns_rr_owner(qrr), q.name) ||
        static_cast<RRType>(ldns_rr_get_type(qrr)) != q.type ||
        ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN) {
      return fail(Outcome::Malformed, "the response is for another question");
    }
  }
  if (w.tc) return fail(Outcome::Malformed, "truncated");

  // The full rcode includes the upper 8 bits carried in the OPT record (RFC 6891 §6.1.3).
  unsigned rcode = static_cast<unsigned>(ldns_pkt_get_rcode(pkt.get())) |
                   (static_cast<unsigned>(ldns_pkt_edns_extended_rcode(pkt.get())) << 4);
  switch (rcode) {
    case 0:
    case 3:
      break;
    case 1: return fail(Outcome::FormErr, "rcode FORMERR");
    case 2: return fail(Outcome::ServFail, "rcode SERVFAIL");
    case 4: return fail(Outcome::NotImp, "rcode NOTIMP");
    case 5: return fail(Outcome::Refused, "rcode REFUSED");
    default: return fail(Outcome::OtherRcode, "rcode " + rcodeText(rcode));
  }
  const bool nxdomain = rcode == 3;

  auto authority = classInRecords(ldns_pkt_authority(pkt.get()));
  if (keepSections) {
    w.authority = convertAll(authority);
    w.additional = convertAll(classInRecords(ldns_pkt_additional(pkt.get())));
  }

  // Walk the answer section from the question name (RFC 1034 §3.6.2, §4.3.2). Records that are
  // not on the chain are dropped: a server has no business answering for other names.
  auto answers = classInRefs(ldns_pkt_answer(pkt.get()));
  // The name being looked up: the question's, then each CNAME's target as it is followed. It
  // points into `chain` (whose buffer moves with it into w.obs.chain) and is reset after every
  // push_back.
  const DnsName* current = &q.name;
  std::vector<DnsName> seen;  // the names of the chain, from the first CNAME followed on
  std::vector<Record> answer, chain;
  for (;;) {
    std::vector<const AnswerRef*> typed, cnames;
    for (const auto& e : answers) {
      if (!rdfIsName(e.owner, *current)) continue;
      if (e.type == q.type || q.type == RRType::ANY) {
        typed.push_back(&e);
      } else if (e.type == RRType::CNAME) {
        cnames.push_back(&e);
      }
    }
    if (!typed.empty()) {
      if (!cnames.empty()) {
        return fail(Outcome::Malformed,
                    "CNAME and other data at " + current->toString() + " (RFC 2181 §10.1)");
      }
      for (const AnswerRef* e : typed) {
        std::string err;
        auto r = recordFromLdns(e->rr, *current, &err);
        if (!r) return fail(Outcome::Malformed, err);
        answer.push_back(std::move(*r));
      }
      break;
    }
    if (cnames.empty()) break;
    std::optional<Record> cname;
    for (const AnswerRef* e : cnames) {
      std::string err;
      auto r = recordFromLdns(e->rr, *current, &err);
      if (!r) return fail(Outcome::Malformed, err);
      if (cname && cname->target != r->target) {
        return fail(Outcome::Malformed,
                    "several CNAMEs at " + current->toString() + " (RFC 2181 §10.1)");
      }
      if (!cname || r->ttl < cname->ttl) cname = std::move(*r);
    }
    chain.push_back(std::move(*cname));
    current = &chain.back().target;
    const DnsName& next = *current;
    if (seen.empty()) seen.push_back(q.name);
    seen.push_back(next);
    if (std::find(seen.begin(), seen.end() - 1, next) != seen.end() - 1) {
      return fail(Outcome::CnameLoop, "CNAME loop: " + chainText(seen));
    }
    if (chain.size() > kMaxCnameChain) {
      return fail(Outcome::ChainTooLong, "CNAME chain longer than " +
                                             std::to_string(kMaxCnameChain) + ": " +
                                             chainText(seen));
    }
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
  for (const auto& e : authority) {
    if (e.type == RRType::SOA && current->isPartOf(e.owner)) {
      negativeTtl = soaNegativeTtl(e.rr);
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
    for (const auto& e : authority) {
      if (e.type == RRType::NS && current->isPartOf(e.owner)) {
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
    w.obs.detail = "CNAME chain ends at " + current->toString() + " without an answer";
    return w;
  }
  return fail(Outcome::Malformed,
              "NOERROR with no answer and no SOA in authority (RFC 2308 §2.2)");
}

std::string dnsLibraryVersions() {
  return std::string("c-ares ") + ares_version(nullptr) + ", ldns " + ldns_version();
}

}  // namespace offboard
