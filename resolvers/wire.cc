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

// True when the RDATA at [start, end) of a record of `type` fills exactly its length, each name
// in it measured by nameEnd(pos) (the offset past the name in place, kNoEnd when it does not end
// there); `others` is the answer for the types not listed here.
template <typename NameEnd>
bool fillsLength(const std::uint8_t* d, std::size_t start, std::size_t end, RRType type,
                 NameEnd&& nameEnd, bool others) {
  auto nameEndsAt = [&](std::size_t pos) { return pos < end ? nameEnd(pos) : kNoEnd; };
  switch (type) {
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
    case RRType::DNSKEY: return others && end - start > 4;
    default: return others;
  }
}

// True when the RDATA of a type offboard interprets fills exactly its RDLENGTH. ldns 1.8.3
// stops reading at the last field it expects and ignores octets left over, so an MX with a
// stray octet after the exchange would otherwise pass (Unbound scrubs these: iter_scrub_rr_length).
bool rdataFillsLength(const std::uint8_t* d, std::size_t start, std::size_t end,
                      std::uint16_t type) {
  return fillsLength(d, start, end, static_cast<RRType>(type),
                     [&](std::size_t pos) { return skipName(d, end, pos); }, true);
}

struct Extent {
  std::size_t end = kNoEnd;  // where the last record ends, kNoEnd when the sections overrun
  std::string problem;       // non-empty when a record's RDATA does not fill its RDLENGTH
  std::size_t tsig = 0;      // TSIG records among those walked (before any overrun too)
};

// TSIG (RFC 8945): offboard signs no query, so no answer to one carries it.
constexpr std::uint16_t kTypeTsig = 250;

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
    if (type == kTypeTsig) ++x.tsig;
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

std::vector<Record> convertAll(const ldns_rr_list* list) {
  std::vector<Record> out;
  forEachClassIn(list, [&out](const ldns_rr* rr) {
    if (auto owner = nameFromRdf(ldns_rr_owner(rr))) {
      if (auto r = recordFromLdns(rr, std::move(*owner))) out.push_back(std::move(*r));
    }
  });
  return out;
}

// One class-IN record of the answer or authority section, as a reader hands it on: the owner
// in uncompressed wire form (root label included, case as sent) and where the record is.
struct RrRef {
  std::span<const std::uint8_t> owner;
  RRType type = RRType::A;
  std::uint32_t ttl = 0;
  const ldns_rr* rr = nullptr;  // the ldns reader's record
  std::size_t rdStart = 0;      // the direct reader's RDATA, in the message
  std::size_t rdEnd = 0;
};

// What the classification needs of a message, from whichever reader took it apart. A reader
// checks the message's structure (every record parses, the sections fill it exactly); the
// classification applies every rule of the answer (classify below).
struct Sections {
  virtual ~Sections() = default;
  std::uint16_t id = 0;
  bool qr = false, aa = false, tc = false, ra = false;
  unsigned opcode = 0;
  unsigned rcode = 0;  // including the upper bits from the OPT record (RFC 6891 §6.1.3)
  std::size_t qdcount = 0;
  bool oneQuestion = false;  // the question section holds one entry
  // The entry's name, type and class; meaningful when oneQuestion.
  std::span<const std::uint8_t> qname;
  RRType qtype = RRType::A;
  std::uint16_t qclass = 0;
  std::vector<RrRef> answer, authority;
  // The record `e` with `owner` as its owner; nullopt with *error set when its RDATA is not
  // what its type requires.
  virtual std::optional<Record> record(const RrRef& e, DnsName owner, std::string* error) const = 0;
  // min(TTL, MINIMUM) of the SOA record `e` (RFC 2308 §5), nullopt when it has no MINIMUM.
  virtual std::optional<std::uint32_t> soaNegativeTtl(const RrRef& e) const = 0;
  // Fills the converted authority and additional sections (only when they are kept).
  virtual void keepSections(WireAnswer& w) const = 0;
};

// The reader for every message: ldns' packet parser.
struct LdnsSections final : Sections {
  LdnsPkt pkt;
  bool keep = true;

  void collect(const ldns_rr_list* list, std::vector<RrRef>& out) {
    out.reserve(list ? ldns_rr_list_rr_count(list) : 0);
    forEachClassIn(list, [&out](const ldns_rr* rr) {
      out.push_back({rdfWire(ldns_rr_owner(rr)), static_cast<RRType>(ldns_rr_get_type(rr)),
                     ldns_rr_ttl(rr), rr});
    });
  }

  explicit LdnsSections(ldns_pkt* p, bool keepSections) : pkt(p), keep(keepSections) {
    ldns_pkt* k = pkt.get();
    id = ldns_pkt_id(k);
    qr = ldns_pkt_qr(k);
    aa = ldns_pkt_aa(k);
    tc = ldns_pkt_tc(k);
    ra = ldns_pkt_ra(k);
    opcode = static_cast<unsigned>(ldns_pkt_get_opcode(k));
    rcode = static_cast<unsigned>(ldns_pkt_get_rcode(k)) |
            (static_cast<unsigned>(ldns_pkt_edns_extended_rcode(k)) << 4);
    const ldns_rr_list* question = ldns_pkt_question(k);
    oneQuestion = question && ldns_rr_list_rr_count(question) == 1;
    if (oneQuestion) {
      const ldns_rr* qrr = ldns_rr_list_rr(question, 0);
      const ldns_rdf* owner = ldns_rr_owner(qrr);
      if (owner && ldns_rdf_get_type(owner) == LDNS_RDF_TYPE_DNAME) qname = rdfWire(owner);
      qtype = static_cast<RRType>(ldns_rr_get_type(qrr));
      qclass = static_cast<std::uint16_t>(ldns_rr_get_class(qrr));
    }
    collect(ldns_pkt_answer(k), answer);
    collect(ldns_pkt_authority(k), authority);
  }

  std::optional<Record> record(const RrRef& e, DnsName owner, std::string* error) const override {
    return recordFromLdns(e.rr, std::move(owner), error);
  }

  std::optional<std::uint32_t> soaNegativeTtl(const RrRef& e) const override {
    if (ldns_rr_rd_count(e.rr) != 7) return std::nullopt;
    const ldns_rdf* minimum = ldns_rr_rdf(e.rr, 6);
    if (ldns_rdf_size(minimum) != 4) return std::nullopt;
    return std::min(e.ttl, ldns_rdf2native_int32(minimum));
  }

  void keepSections(WireAnswer& w) const override {
    if (!keep) return;
    w.authority = convertAll(ldns_pkt_authority(pkt.get()));
    w.additional = convertAll(ldns_pkt_additional(pkt.get()));
  }
};

std::string chainText(const std::vector<DnsName>& names) {
  std::string s;
  for (const auto& n : names) {
    if (!s.empty()) s += " -> ";
    s += n.toString();
  }
  return s;
}

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

// The longest name the direct reader reads; ldns' own limit is 255 octets, and a name near it is
// left to ldns so that no limit of the two differs at its edge.
constexpr std::size_t kDirectMaxName = 253;
// Compression pointers the direct reader follows in one name (a legitimate encoder needs one).
constexpr int kDirectMaxHops = 16;

// The direct reader: the common responses, read in place, without building an ldns packet (an
// ldns parse allocates every record and field and costs a fifth of a scan's instructions). It
// reads only what it can read exactly as ldns does, and declines — read() false — anything
// else, which ldns then reads: any record type but A, AAAA, NS, CNAME, PTR, MX, SRV, TXT, SOA
// and one OPT without options at the root of the additional section; any RDATA its type does
// not fill exactly; any name with a label over 63 octets, a pointer that does not point back
// past the header to before where the name (or the previous pointer's target) started, more
// than kDirectMaxHops pointers or more than kDirectMaxName octets; a QDCOUNT other than 1, TC,
// a message the sections do not fill exactly. fuzz/fuzz_wire_readers.cc checks that both
// readers give the same answer for every message this one reads.
struct DirectSections final : Sections {
  const std::uint8_t* d = nullptr;
  std::size_t len = 0;
  std::string names;  // the question name and the kept owners, uncompressed, back to back
  struct Owner {
    std::size_t offset, size;
  };
  std::vector<Owner> answerOwners, authorityOwners, additionalOwners;
  std::vector<RrRef> additional;  // class IN, OPT excluded; kept only when the sections are
  bool keep = false;              // converted (keepSections)

  // The name at `pos`, written uncompressed (root label included) to `out` (room for
  // kDirectMaxName octets) when given, its length to *size; returns the offset just past the
  // name in place, or kNoEnd when it is not a plain name. The labels between pointers lie back
  // to back in the message: each such run is copied once, when a pointer or the end is reached.
  std::size_t readName(std::size_t pos, std::uint8_t* out = nullptr, std::size_t* size = nullptr) const {
    std::size_t after = kNoEnd, limit = pos, total = 0;
    std::size_t run = pos;  // where the labels read since the last pointer start
    int hops = 0;
    for (;;) {
      if (pos >= len) return kNoEnd;
      const std::uint8_t b = d[pos];
      if (b == 0) {
        if (total + 1 > kDirectMaxName) return kNoEnd;
        if (out) {
          std::memcpy(out + total - (pos - run), d + run, pos - run);
          out[total] = 0;
        }
        if (size) *size = total + 1;
        return after == kNoEnd ? pos + 1 : after;
      }
      if ((b & 0xC0) == 0xC0) {
        if (pos + 2 > len) return kNoEnd;
        const std::size_t target = (std::size_t{b & 0x3Fu} << 8) | d[pos + 1];
        if (target < kHeaderOctets || target >= limit || ++hops > kDirectMaxHops) return kNoEnd;
        if (after == kNoEnd) after = pos + 2;
        if (out) std::memcpy(out + total - (pos - run), d + run, pos - run);
        limit = pos = run = target;
        continue;
      }
      const std::size_t label = 1 + std::size_t{b};
      if (b > DnsName::kMaxLabel || pos + label > len || total + label > kDirectMaxName) return kNoEnd;
      total += label;
      pos += label;
    }
  }

  // True when the RDATA of a record of `type` at [start, end) is of the types read here and
  // fills exactly its length, with every name in it plain.
  bool rdataReadable(RRType type, std::size_t start, std::size_t end) const {
    return fillsLength(d, start, end, type, [this](std::size_t pos) { return readName(pos); }, false);
  }

  void clear(const std::uint8_t* data, std::size_t size) {
    d = data;
    len = size;
    names.clear();
    answer.clear();
    authority.clear();
    additional.clear();
    answerOwners.clear();
    authorityOwners.clear();
    additionalOwners.clear();
    rcode = 0;
  }

  bool read(const std::uint8_t* data, std::size_t size, bool keepSections) {
    clear(data, size);
    keep = keepSections;
    if (len < kHeaderOctets || len > kMaxMessageOctets) return false;
    id = get16(d);
    const unsigned flags = get16(d + 2);
    qr = (flags & 0x8000) != 0;
    opcode = (flags >> 11) & 0xF;
    aa = (flags & 0x0400) != 0;
    tc = (flags & 0x0200) != 0;
    ra = (flags & 0x0080) != 0;
    qdcount = get16(d + 4);
    if (tc || qdcount != 1) return false;
    const std::size_t counts[3] = {get16(d + 6), get16(d + 8), get16(d + 10)};
    if (1 + counts[0] + counts[1] + counts[2] > kMaxRecordsPerMessage) return false;

    std::uint8_t name[kDirectMaxName];
    std::size_t nameSize = 0;
    std::size_t pos = readName(kHeaderOctets, name, &nameSize);
    if (pos == kNoEnd || pos + 4 > len) return false;
    names.append(reinterpret_cast<const char*>(name), nameSize);
    const std::size_t qnameSize = nameSize;
    qtype = static_cast<RRType>(get16(d + pos));
    qclass = get16(d + pos + 2);
    oneQuestion = true;
    pos += 4;

    bool opt = false;
    unsigned extendedRcode = 0;
    for (int section = 0; section < 3; ++section) {
      for (std::size_t i = 0; i < counts[section]; ++i) {
        // Most owners are one pointer to the question name (C0 0C), which is read already: the
        // same name readName would read there, without reading it again or keeping a copy.
        const bool ownerIsQname = pos + 2 <= len && d[pos] == 0xC0 && d[pos + 1] == kHeaderOctets;
        if (ownerIsQname) {
          pos += 2;
          nameSize = qnameSize;
        } else {
          // An additional record's owner is kept only with the sections: otherwise it is
          // read for its checks and its length (OPT's root owner), not copied.
          pos = readName(pos, section == 2 && !keep ? nullptr : name, &nameSize);
        }
        if (pos == kNoEnd || pos + 10 > len) return false;
        const auto type = static_cast<RRType>(get16(d + pos));
        const std::uint16_t rclass = get16(d + pos + 2);
        const std::uint32_t ttl = get32(d + pos + 4);
        const std::size_t start = pos + 10;
        const std::size_t end = start + get16(d + pos + 8);
        if (end > len) return false;
        pos = end;
        if (type == RRType::OPT) {
          // ldns takes the OPT record out of the additional section into the packet's EDNS
          // fields; one, owned by the root, without options, is all this reader takes.
          if (section != 2 || opt || nameSize != 1 || end != start) return false;
          opt = true;
          extendedRcode = ttl >> 24;
          continue;
        }
        if (!rdataReadable(type, start, end)) return false;
        if (rclass != LDNS_RR_CLASS_IN || (section == 2 && !keep)) continue;
        const std::size_t ownerAt = ownerIsQname ? 0 : names.size();
        if (!ownerIsQname) names.append(reinterpret_cast<const char*>(name), nameSize);
        RrRef e;
        e.type = type;
        e.ttl = ttl;
        e.rdStart = start;
        e.rdEnd = end;
        (section == 0 ? answer : section == 1 ? authority : additional).push_back(e);
        (section == 0   ? answerOwners
         : section == 1 ? authorityOwners
                        : additionalOwners)
            .push_back({ownerAt, nameSize});
      }
    }
    if (pos != len) return false;
    rcode = (flags & 0xF) | (extendedRcode << 4);
    // `names` no longer grows: the views into it stay valid.
    auto view = [this](std::size_t offset, std::size_t size) {
      return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(names.data()) + offset,
                                           size);
    };
    qname = view(0, qnameSize);
    for (std::size_t i = 0; i < answer.size(); ++i)
      answer[i].owner = view(answerOwners[i].offset, answerOwners[i].size);
    for (std::size_t i = 0; i < authority.size(); ++i)
      authority[i].owner = view(authorityOwners[i].offset, authorityOwners[i].size);
    for (std::size_t i = 0; i < additional.size(); ++i)
      additional[i].owner = view(additionalOwners[i].offset, additionalOwners[i].size);
    return true;
  }

  DnsName nameAt(std::size_t pos) const {
    std::uint8_t wire[kDirectMaxName];
    std::size_t size = 0;
    readName(pos, wire, &size);
    return *DnsName::fromWire(std::span<const std::uint8_t>(wire, size));
  }

  std::optional<Record> record(const RrRef& e, DnsName owner, std::string*) const override {
    Record r;
    r.name = std::move(owner);
    r.type = e.type;
    r.ttl = e.ttl;
    RdataParts parts;
    const std::size_t s = e.rdStart;
    switch (e.type) {
      case RRType::MX:
        parts.numbers[0] = get16(d + s);
        parts.names[0] = nameAt(s + 2);
        break;
      case RRType::SRV:
        for (std::size_t i = 0; i < 3; ++i) parts.numbers[i] = get16(d + s + 2 * i);
        parts.names[0] = nameAt(s + 6);
        break;
      case RRType::A:
      case RRType::AAAA: parts.address = d + s; break;
      case RRType::TXT:
        for (std::size_t p = s; p < e.rdEnd; p += 1 + std::size_t{d[p]})
          parts.strings.emplace_back(reinterpret_cast<const char*>(d + p + 1), d[p]);
        break;
      case RRType::SOA: {
        parts.names[0] = nameAt(s);
        const std::size_t rname = readName(s);
        parts.names[1] = nameAt(rname);
        for (std::size_t i = 0; i < 5; ++i) parts.numbers[i] = get32(d + e.rdEnd - 20 + 4 * i);
        break;
      }
      default: parts.names[0] = nameAt(s); break;  // NS, CNAME, PTR
    }
    fillFromParts(r, std::move(parts));
    return r;
  }

  std::optional<std::uint32_t> soaNegativeTtl(const RrRef& e) const override {
    return std::min(e.ttl, get32(d + e.rdEnd - 4));
  }

  std::vector<Record> convertAll(const std::vector<RrRef>& refs) const {
    std::vector<Record> out;
    out.reserve(refs.size());
    for (const auto& e : refs) out.push_back(*record(e, *DnsName::fromWire(e.owner), nullptr));
    return out;
  }

  void keepSections(WireAnswer& w) const override {
    if (!keep) return;
    w.authority = convertAll(authority);
    w.additional = convertAll(additional);
  }
};

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

namespace {

void markFailed(WireAnswer& w, Outcome o, std::string detail) {
  w.obs.outcome = o;
  w.obs.detail = std::move(detail);
  w.obs.answer.clear();
  w.obs.chain.clear();
  w.obs.negativeTtl.reset();
  w.referral = false;
}

// Every rule of an answer, over the sections a reader took apart (the rules wire.h lists), into
// `w` in place: a WireAnswer is a few hundred octets, and each move of it costs its destructor.
void classify(const Question& q, std::uint16_t expectedId, const Sections& m, WireAnswer& w) {
  auto fail = [&w](Outcome o, std::string detail) { markFailed(w, o, std::move(detail)); };
  w.aa = m.aa;
  w.tc = m.tc;
  w.ra = m.ra;

  // c-ares 1.18.1 checks the ID and the question but not QR or the opcode (reliability §0.3).
  if (!m.qr) return fail(Outcome::Malformed, "QR bit not set (not a response)");
  if (m.opcode != LDNS_PACKET_QUERY) {
    return fail(Outcome::Malformed, "opcode " + std::to_string(m.opcode) + " is not QUERY");
  }
  if (m.id != expectedId) {
    return fail(Outcome::Malformed, "ID " + std::to_string(m.id) + " does not match the query's " +
                                        std::to_string(expectedId));
  }
  if (m.qdcount != 1 || !m.oneQuestion) {
    return fail(Outcome::Malformed, "QDCOUNT is " + std::to_string(m.qdcount) + ", expected 1");
  }
  if (m.qname.empty() || !q.name.equalsWire(m.qname) || m.qtype != q.type ||
      m.qclass != LDNS_RR_CLASS_IN) {
    return fail(Outcome::Malformed, "the response is for another question");
  }
  if (w.tc) return fail(Outcome::Malformed, "truncated");

  switch (m.rcode) {
    case 0:
    case 3:
      break;
    case 1: return fail(Outcome::FormErr, "rcode FORMERR");
    case 2: return fail(Outcome::ServFail, "rcode SERVFAIL");
    case 4: return fail(Outcome::NotImp, "rcode NOTIMP");
    case 5: return fail(Outcome::Refused, "rcode REFUSED");
    default: return fail(Outcome::OtherRcode, "rcode " + rcodeText(m.rcode));
  }
  const bool nxdomain = m.rcode == 3;

  // Scratch kept from answer to answer (one classification at a time per thread): their room
  // is reused, no allocation per answer.
  thread_local std::vector<const RrRef*> typed, cnames;
  m.keepSections(w);

  // Walk the answer section from the question name (RFC 1034 §3.6.2, §4.3.2). Records that are
  // not on the chain are dropped: a server has no business answering for other names.
  // The name being looked up: the question's, then each CNAME's target as it is followed. It
  // points into `chain` (whose buffer moves with it into w.obs.chain) and is reset after every
  // push_back.
  const DnsName* current = &q.name;
  std::vector<DnsName> seen;  // the names of the chain, from the first CNAME followed on
  std::vector<Record> answer, chain;
  for (;;) {
    typed.clear();
    cnames.clear();
    for (const auto& e : m.answer) {
      if (!current->equalsWire(e.owner)) continue;
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
      answer.reserve(typed.size());
      for (const RrRef* e : typed) {
        std::string err;
        auto r = m.record(*e, *current, &err);
        if (!r) return fail(Outcome::Malformed, err);
        answer.push_back(std::move(*r));
      }
      break;
    }
    if (cnames.empty()) break;
    std::optional<Record> cname;
    for (const RrRef* e : cnames) {
      std::string err;
      auto r = m.record(*e, *current, &err);
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
  // records are one record (RFC 2181 §5), the first of them kept, in place.
  if (!answer.empty()) {
    std::uint32_t ttl = answer.front().ttl;
    for (const auto& r : answer) ttl = std::min(ttl, r.ttl);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < answer.size(); ++i) {
      answer[i].ttl = ttl;
      const bool dup = std::any_of(answer.begin(), answer.begin() + static_cast<std::ptrdiff_t>(kept),
                                   [&](const Record& u) {
                                     return u.type == answer[i].type && u.data == answer[i].data;
                                   });
      if (dup) continue;
      if (kept != i) answer[kept] = std::move(answer[i]);
      ++kept;
    }
    answer.resize(kept);
  }

  w.obs.chain = std::move(chain);
  if (!nxdomain && !answer.empty()) {
    w.obs.outcome = Outcome::Answer;
    w.obs.answer = std::move(answer);
    return;
  }
  if (nxdomain && !answer.empty()) {
    return fail(Outcome::Malformed, "NXDOMAIN with records of the asked type");
  }

  // No answer: the authority section decides (negative TTL, referral). Its owners are decoded
  // only now, those that are not valid names left out: most answers never need them.
  struct AuthorityRr {
    DnsName owner;
    const RrRef* ref;
  };
  thread_local std::vector<AuthorityRr> authority;
  authority.clear();
  for (const auto& e : m.authority) {
    if (auto owner = DnsName::fromWire(e.owner)) authority.push_back({std::move(*owner), &e});
  }
  std::optional<std::uint32_t> negativeTtl;
  for (const auto& e : authority) {
    if (e.ref->type == RRType::SOA && current->isPartOf(e.owner)) {
      negativeTtl = m.soaNegativeTtl(*e.ref);
      if (negativeTtl) break;
    }
  }

  if (nxdomain) {
    if (!negativeTtl) {
      return fail(Outcome::Malformed, "NXDOMAIN without an SOA in authority (RFC 2308 §2.1)");
    }
    w.obs.outcome = Outcome::NxDomain;
    w.obs.negativeTtl = negativeTtl;
    return;
  }
  if (negativeTtl) {
    w.obs.outcome = Outcome::NoData;
    w.obs.negativeTtl = negativeTtl;
    return;
  }
  if (!w.aa) {
    // A delegation: NS records for a zone enclosing the name, no SOA (RFC 1034 §4.3.2 step 3b).
    const DnsName* zone = nullptr;
    for (const auto& e : authority) {
      if (e.ref->type == RRType::NS && current->isPartOf(e.owner)) {
        zone = &e.owner;
        break;
      }
    }
    if (zone) {
      w.referral = true;
      w.obs.outcome = Outcome::NotAvailable;
      w.obs.detail = "referral to " + zone->toString();
      return;
    }
  }
  if (!w.obs.chain.empty()) {
    w.obs.outcome = Outcome::NotAvailable;
    w.obs.detail = "CNAME chain ends at " + current->toString() + " without an answer";
    return;
  }
  return fail(Outcome::Malformed,
              "NOERROR with no answer and no SOA in authority (RFC 2308 §2.2)");
}

// The checks before any reader, and the ldns reader; `direct` tries the direct one first.
void classifyWith(WireAnswer& w, const Question& q, std::uint16_t expectedId,
                  const std::uint8_t* data, std::size_t len, const std::string& server,
                  bool keepSections, bool direct) {
  w.obs.question = q;
  w.obs.server = server;
  auto fail = [&w](Outcome o, std::string detail) { markFailed(w, o, std::move(detail)); };

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

  if (direct) {
    // One reader per thread, its buffers reused from message to message.
    thread_local DirectSections reader;
    if (reader.read(data, len, keepSections)) return classify(q, expectedId, reader, w);
  }

  // Walked before ldns reads the message: ldns 1.8.3 keeps only the last TSIG record of the
  // additional section as the packet's signature and leaks the others (fuzz_wire_readers found
  // it), so a message with one is refused before ldns sees it.
  Extent extent = messageExtent(data, len);
  if (extent.tsig > 0) {
    return fail(Outcome::Malformed, "TSIG record in the response (offboard signs no query)");
  }
  ldns_pkt* raw = nullptr;
  ldns_status st = ldns_wire2pkt(&raw, data, len);
  if (st != LDNS_STATUS_OK || !raw) {
    ldns_pkt_free(raw);
    return fail(Outcome::Malformed, std::string("unparseable: ") + ldns_get_errorstr_by_id(st));
  }
  LdnsSections sections(raw, keepSections);
  sections.qdcount = qdcount;
  if (extent.end == kNoEnd) {
    return fail(Outcome::Malformed, "unparseable: sections overrun the message");
  }
  if (extent.end != len) {
    return fail(Outcome::Malformed, std::to_string(len - extent.end) +
                                        " octets of trailing data after the last record");
  }
  if (!extent.problem.empty()) return fail(Outcome::Malformed, extent.problem);
  classify(q, expectedId, sections, w);
}

}  // namespace

WireAnswer classifyResponse(const Question& q, std::uint16_t expectedId, const std::uint8_t* data,
                            std::size_t len, const std::string& server, bool keepSections) {
  WireAnswer w;
  classifyWith(w, q, expectedId, data, len, server, keepSections, true);
  return w;
}

void classifyResponseInto(WireAnswer& w, const Question& q, std::uint16_t expectedId,
                          const std::uint8_t* data, std::size_t len, const std::string& server,
                          bool keepSections) {
  classifyWith(w, q, expectedId, data, len, server, keepSections, true);
}

WireAnswer classifyResponseLdns(const Question& q, std::uint16_t expectedId,
                                const std::uint8_t* data, std::size_t len,
                                const std::string& server, bool keepSections) {
  WireAnswer w;
  classifyWith(w, q, expectedId, data, len, server, keepSections, false);
  return w;
}

bool readsDirectly(const std::uint8_t* data, std::size_t len) {
  DirectSections reader;
  return data && reader.read(data, len, true);
}

std::string dnsLibraryVersions() {
  return std::string("c-ares ") + ares_version(nullptr) + ", ldns " + ldns_version();
}

}  // namespace offboard
