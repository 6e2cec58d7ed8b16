// ldns ⇄ offboard record conversion, and RAII holders for ldns handles.
//
// What it is for: the single place where ldns resource records become offboard `Record`s (the
// wire parser and the zone-file loader both use it), with presentation text produced here
// without ldns' printing functions (they are slow and their output is not terminal-safe).
// What it must not do: decide anything about an answer's validity (wire.h) or Microsoft 365.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/types.h"

// ldns' common.h defines `bool`, `true` and `false` as macros unless stdbool.h came first;
// include ldns only through this header.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)
#include <ldns/ldns.h>

namespace offboard {

// ldns handles go into these the moment they are created.
struct LdnsPktDeleter { void operator()(ldns_pkt* p) const { ldns_pkt_free(p); } };
struct LdnsRrDeleter { void operator()(ldns_rr* p) const { ldns_rr_free(p); } };
struct LdnsRrListDeleter { void operator()(ldns_rr_list* p) const { ldns_rr_list_deep_free(p); } };
struct LdnsRdfDeleter { void operator()(ldns_rdf* p) const { ldns_rdf_deep_free(p); } };
struct LdnsZoneDeleter { void operator()(ldns_zone* p) const { ldns_zone_deep_free(p); } };
struct LdnsBufferDeleter { void operator()(ldns_buffer* p) const { ldns_buffer_free(p); } };
using LdnsPkt = std::unique_ptr<ldns_pkt, LdnsPktDeleter>;
using LdnsRr = std::unique_ptr<ldns_rr, LdnsRrDeleter>;
using LdnsRrList = std::unique_ptr<ldns_rr_list, LdnsRrListDeleter>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsRdfDeleter>;
using LdnsZone = std::unique_ptr<ldns_zone, LdnsZoneDeleter>;
using LdnsBuffer = std::unique_ptr<ldns_buffer, LdnsBufferDeleter>;

// The octets of an rdf, in place (a DNAME's are its uncompressed wire form, root label included).
inline std::span<const std::uint8_t> rdfWire(const ldns_rdf* rdf) {
  return {ldns_rdf_data(rdf), ldns_rdf_size(rdf)};
}
// A DNAME-typed rdf (uncompressed wire labels) as a DnsName; nullopt if it is not a valid name.
std::optional<DnsName> nameFromRdf(const ldns_rdf* rdf);
// A DnsName as an ldns DNAME rdf (for building queries and comparing with ldns data).
LdnsRdf rdfFromName(const DnsName& name);

// Converts one ldns record. Fills the structured fields for NS, CNAME, PTR, MX, SRV and TXT
// and the presentation `data` for every type (A, AAAA, SOA and others too). Returns nullopt
// with *error set when the record's fields are not what its type requires.
std::optional<Record> recordFromLdns(const ldns_rr* rr, std::string* error = nullptr);
// The same, for a record whose owner the caller has decoded already (`owner` is taken as is).
std::optional<Record> recordFromLdns(const ldns_rr* rr, DnsName owner, std::string* error = nullptr);

// The RDATA of a record of a type offboard reads field by field (NS, CNAME, PTR, MX, SRV, TXT,
// A, AAAA, SOA), taken apart by either reader of a message: ldns (recordFromLdns) or the direct
// reader of resolvers/wire.cc. One function formats it, so both give the same Record.
struct RdataParts {
  DnsName names[2];                       // the target (NS, CNAME, PTR, MX, SRV); SOA's MNAME, RNAME
  std::uint32_t numbers[5] = {};          // MX preference; SRV priority, weight, port; SOA's five
  std::vector<std::string> strings;       // TXT character-strings, raw octets
  const std::uint8_t* address = nullptr;  // A: 4 octets, AAAA: 16
};
// True for the types RdataParts holds.
bool readsFieldByField(RRType type);
// Sets r's structured fields and presentation `data` from `parts`, for r.type one of those.
void fillFromParts(Record& r, RdataParts&& parts);

// Presentation of one TXT character-string: quoted, with `"` and `\` escaped and every octet
// outside printable ASCII as \DDD (RFC 1035 §5.1), so the text is terminal-safe.
std::string quoteTxtString(const std::string& raw);

}  // namespace offboard
