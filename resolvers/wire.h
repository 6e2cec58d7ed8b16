// The DNS wire layer: query packets out, validated Observations in.
//
// What it is for: building the one-question queries offboard sends (our own IDs, optional EDNS0
// OPT) and turning a raw response into an Observation with every defensive rule applied — the
// parse (ldns, or for the common responses a direct reader held to ldns' result), the identity checks c-ares 1.18.1 does not do (QR bit, opcode, question), the
// rcode, the CNAME chain from the question name, the RFC 2308 rules for negative answers, and
// size caps. Everything that reaches the checks has passed through classifyResponse.
// What it must not do: any I/O, any clock, any knowledge of which server is trusted or of
// Microsoft 365. A failure is never turned into NoData/NxDomain: when in doubt the outcome is
// Malformed (fail closed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace offboard {

// The EDNS0 UDP payload size we advertise (DNS Flag Day 2020: 1232 avoids IP fragmentation).
inline constexpr std::uint16_t kEdnsPayload = 1232;
// A DNS message never exceeds 65535 octets (the TCP length prefix is 16 bits, RFC 1035 §4.2.2).
inline constexpr std::size_t kMaxMessageOctets = 65535;
// Upper bound on QD+AN+NS+AR counts we accept; legitimate answers carry far fewer, and the cap
// keeps work bounded whatever the header claims.
inline constexpr std::size_t kMaxRecordsPerMessage = 2048;
// CNAMEs followed from the question name before the outcome becomes ChainTooLong.
inline constexpr std::size_t kMaxCnameChain = 8;

// The query for `q`: one question, class IN, our `id`, RD as given, and when `edns` an OPT
// record (payload kEdnsPayload, no options, 11 octets, last in the message — c-ares' EDNS
// fallback relies on that layout). Returns an empty vector when q.name is empty.
std::vector<std::uint8_t> buildQuery(const Question& q, std::uint16_t id, bool recursionDesired,
                                     bool edns);
// As buildQuery, into `out` (cleared first; its capacity is reused on the hot path).
void buildQueryInto(std::vector<std::uint8_t>& out, const Question& q, std::uint16_t id,
                    bool recursionDesired, bool edns);

// A classified response. `obs.outcome` is Answer/NoData/NxDomain only when every rule passed.
// `authority` and `additional` hold the class-IN records of those sections (OPT excluded)
// unfiltered by owner: a consumer that uses them (referrals, glue) applies its own bailiwick
// rules.
struct WireAnswer {
  Observation obs;
  bool aa = false;        // authoritative answer bit
  bool tc = false;        // truncated: the caller should ask again over TCP
  bool ra = false;        // recursion available bit
  bool referral = false;  // NOERROR, no answer, NS (no SOA) in authority, AA=0: a delegation
  std::vector<Record> authority;
  std::vector<Record> additional;
};

// Classifies the `len` octets at `data` received from `server` (copied into obs.server) as the
// answer to `q` sent with ID `expectedId`:
//  - over 65535 octets, under 12, over kMaxRecordsPerMessage records, unparseable (ldns),
//    trailing octets after the last record, a TSIG record (offboard signs no query; ldns 1.8.3
//    leaks all but the last of several), QR=0, opcode not QUERY, another ID, QDCOUNT ≠ 1
//    or another question (name compared case-insensitively, RFC 4343) → Malformed;
//  - TC=1 → Malformed with detail "truncated" and tc=true;
//  - rcode FORMERR/SERVFAIL/NOTIMP/REFUSED/other (incl. EDNS extended rcodes) → FormErr/
//    ServFail/NotImp/Refused/OtherRcode;
//  - NOERROR/NXDOMAIN: the class-IN answer records are walked from the question name along
//    CNAMEs (≤ kMaxCnameChain, a repeat → CnameLoop, more → ChainTooLong); records of the asked
//    type at the end of the chain become obs.answer (one RRset: TTLs set to their minimum,
//    duplicates removed), the CNAMEs followed obs.chain; anything else in the answer section is
//    dropped. For qtype CNAME the CNAME at the question name is the answer.
//  - NOERROR with an answer → Answer. NOERROR/NXDOMAIN without one need an SOA in authority for
//    a zone enclosing the last name of the chain (RFC 2308 §2) → NoData/NxDomain with
//    negativeTtl = min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), else:
//    NOERROR with NS for an enclosing zone, AA=0 → referral=true, NotAvailable "referral to Z";
//    NOERROR after a CNAME chain → NotAvailable "CNAME chain ends at N without an answer";
//    anything else → Malformed.
WireAnswer classifyResponse(const Question& q, std::uint16_t expectedId, const std::uint8_t* data,
                            std::size_t len, const std::string& server);
// As above; with keepSections false, `authority` and `additional` stay empty (their records
// are still read for the negative TTL and referral rules): the stub resolver never uses them,
// and converting them costs more than the rest of the classification.
WireAnswer classifyResponse(const Question& q, std::uint16_t expectedId, const std::uint8_t* data,
                            std::size_t len, const std::string& server, bool keepSections);
// As above, into `w`, which is as a WireAnswer is built (empty): the transport classifies an
// answer where it waits for its callback, so the answer is not moved there.
void classifyResponseInto(WireAnswer& w, const Question& q, std::uint16_t expectedId,
                          const std::uint8_t* data, std::size_t len, const std::string& server,
                          bool keepSections);

// The same classification with ldns reading every message. classifyResponse reads the common
// responses itself (the direct reader in wire.cc: A, AAAA, NS, CNAME, PTR, MX, SRV, TXT and SOA
// records with plain names) and leaves every other message to ldns; fuzz/fuzz_wire_readers.cc
// holds the two to the same result, sections kept or not, on every message.
WireAnswer classifyResponseLdns(const Question& q, std::uint16_t expectedId,
                                const std::uint8_t* data, std::size_t len,
                                const std::string& server, bool keepSections);
// True when the direct reader reads the message itself (for the tests and the fuzz target).
bool readsDirectly(const std::uint8_t* data, std::size_t len);

// The versions of the DNS libraries this process runs with (not those it was built against),
// for --version and bug reports: "c-ares 1.18.1, ldns 1.8.3".
std::string dnsLibraryVersions();

}  // namespace offboard
