#include "resolvers/rr_convert.h"

#include <arpa/inet.h>

#include <cstring>

namespace offboard {
namespace {

void setError(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

const ldns_rdf* field(const ldns_rr* rr, std::size_t i) {
  return i < ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, i) : nullptr;
}

std::optional<std::uint16_t> int16Field(const ldns_rr* rr, std::size_t i) {
  const ldns_rdf* f = field(rr, i);
  if (!f || ldns_rdf_size(f) != 2) return std::nullopt;
  return ldns_rdf2native_int16(f);
}

std::string rdfOctets(const ldns_rdf* f) {
  return std::string(reinterpret_cast<const char*>(ldns_rdf_data(f)), ldns_rdf_size(f));
}

std::optional<DnsName> nameField(const ldns_rr* rr, std::size_t i) {
  const ldns_rdf* f = field(rr, i);
  if (!f || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
  return nameFromRdf(f);
}

// Generic presentation through ldns for types offboard does not interpret; the result is then
// made terminal-safe (ldns may pass raw octets through in some rdf types).
std::string ldnsRdataText(const ldns_rr* rr) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    char* s = ldns_rdf2str(ldns_rr_rdf(rr, i));
    if (!s) continue;
    if (!out.empty()) out.push_back(' ');
    for (const char* p = s; *p; ++p) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c < 0x20 || c >= 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    LDNS_FREE(s);
  }
  return out;
}

}  // namespace

std::optional<DnsName> nameFromRdf(const ldns_rdf* rdf) {
  if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
  return DnsName::fromWire(std::span<const std::uint8_t>(ldns_rdf_data(rdf), ldns_rdf_size(rdf)));
}

bool rdfIsName(const ldns_rdf* rdf, const DnsName& name) {
  if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return false;
  return name.equalsWire(std::span<const std::uint8_t>(ldns_rdf_data(rdf), ldns_rdf_size(rdf)));
}

LdnsRdf rdfFromName(const DnsName& name) {
  std::string wire(name.wireLabels());
  wire.push_back('\0');
  return LdnsRdf(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data()));
}

std::string quoteTxtString(const std::string& raw) {
  std::string out;
  out.reserve(raw.size() + 2);
  out.push_back('"');
  for (unsigned char c : raw) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

std::optional<Record> recordFromLdns(const ldns_rr* rr, std::string* error) {
  if (!rr) return recordFromLdns(rr, DnsName(), error);
  auto owner = nameFromRdf(ldns_rr_owner(rr));
  if (!owner) {
    setError(error, "record owner is not a valid name");
    return std::nullopt;
  }
  return recordFromLdns(rr, std::move(*owner), error);
}

std::optional<Record> recordFromLdns(const ldns_rr* rr, DnsName owner, std::string* error) {
  if (!rr) {
    setError(error, "null record");
    return std::nullopt;
  }
  Record r;
  r.name = std::move(owner);
  r.type = static_cast<RRType>(ldns_rr_get_type(rr));
  r.ttl = ldns_rr_ttl(rr);
  auto bad = [&](const char* what) {
    setError(error, std::string(what) + " record of " + r.name.toString() + " has bad RDATA");
    return std::nullopt;
  };
  switch (r.type) {
    case RRType::NS:
    case RRType::CNAME:
    case RRType::PTR: {
      auto t = nameField(rr, 0);
      if (!t || ldns_rr_rd_count(rr) != 1) return bad(rrTypeName(r.type).c_str());
      r.target = std::move(*t);
      r.target.appendTo(r.data);
      break;
    }
    case RRType::MX: {
      auto pref = int16Field(rr, 0);
      auto t = nameField(rr, 1);
      if (!pref || !t || ldns_rr_rd_count(rr) != 2) return bad("MX");
      r.preference = *pref;
      r.target = std::move(*t);
      r.data = std::to_string(r.preference);
      r.data.push_back(' ');
      r.target.appendTo(r.data);
      break;
    }
    case RRType::SRV: {
      auto prio = int16Field(rr, 0), weight = int16Field(rr, 1), port = int16Field(rr, 2);
      auto t = nameField(rr, 3);
      if (!prio || !weight || !port || !t || ldns_rr_rd_count(rr) != 4) return bad("SRV");
      r.preference = *prio;
      r.weight = *weight;
      r.port = *port;
      r.target = std::move(*t);
      r.data = std::to_string(r.preference) + " " + std::to_string(r.weight) + " " +
               std::to_string(r.port) + " ";
      r.target.appendTo(r.data);
      break;
    }
    case RRType::TXT: {
      if (ldns_rr_rd_count(rr) == 0) return bad("TXT");
      for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
        const ldns_rdf* f = ldns_rr_rdf(rr, i);
        const std::uint8_t* d = ldns_rdf_data(f);
        std::size_t n = ldns_rdf_size(f);
        if (n == 0 || d[0] != n - 1) return bad("TXT");
        r.strings.emplace_back(reinterpret_cast<const char*>(d + 1), n - 1);
        if (i) r.data.push_back(' ');
        r.data += quoteTxtString(r.strings.back());
      }
      break;
    }
    case RRType::A: {
      const ldns_rdf* f = field(rr, 0);
      if (!f || ldns_rdf_size(f) != 4) return bad("A");
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, ldns_rdf_data(f), buf, sizeof buf);
      r.data = buf;
      break;
    }
    case RRType::AAAA: {
      const ldns_rdf* f = field(rr, 0);
      if (!f || ldns_rdf_size(f) != 16) return bad("AAAA");
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, ldns_rdf_data(f), buf, sizeof buf);
      r.data = buf;
      break;
    }
    case RRType::SOA: {
      auto mname = nameField(rr, 0), rname = nameField(rr, 1);
      if (!mname || !rname || ldns_rr_rd_count(rr) != 7) return bad("SOA");
      r.target = *mname;
      r.data = mname->toString() + " " + rname->toString();
      for (std::size_t i = 2; i < 7; ++i) {
        const ldns_rdf* f = ldns_rr_rdf(rr, i);
        if (ldns_rdf_size(f) != 4) return bad("SOA");
        std::uint32_t v;
        std::memcpy(&v, ldns_rdf_data(f), 4);
        r.data += " " + std::to_string(ntohl(v));
      }
      break;
    }
    case RRType::DS: {
      // RFC 4034 §5.1: key tag, algorithm, digest type, digest.
      auto tag = int16Field(rr, 0);
      const ldns_rdf* alg = field(rr, 1);
      const ldns_rdf* type = field(rr, 2);
      const ldns_rdf* digest = field(rr, 3);
      if (!tag || !alg || ldns_rdf_size(alg) != 1 || !type || ldns_rdf_size(type) != 1 || !digest ||
          ldns_rdf_size(digest) == 0 || ldns_rr_rd_count(rr) != 4)
        return bad("DS");
      r.keyTag = *tag;
      r.algorithm = ldns_rdf_data(alg)[0];
      r.digests.push_back(Record::Digest{ldns_rdf_data(type)[0], rdfOctets(digest)});
      r.data = ldnsRdataText(rr);
      break;
    }
    case RRType::DNSKEY: {
      // RFC 4034 §2.1: flags, protocol, algorithm, public key.
      auto flags = int16Field(rr, 0);
      const ldns_rdf* protocol = field(rr, 1);
      const ldns_rdf* alg = field(rr, 2);
      const ldns_rdf* key = field(rr, 3);
      if (!flags || !protocol || ldns_rdf_size(protocol) != 1 || !alg || ldns_rdf_size(alg) != 1 || !key ||
          ldns_rdf_size(key) == 0 || ldns_rr_rd_count(rr) != 4)
        return bad("DNSKEY");
      r.keyFlags = *flags;
      r.keyProtocol = ldns_rdf_data(protocol)[0];
      r.algorithm = ldns_rdf_data(alg)[0];
      r.keyTag = ldns_calc_keytag(rr);
      // The digest a DS of this key carries (RFC 4034 §5.1.4: over the canonical owner name and
      // the RDATA), one per type the DS check compares; ldns computes them, never offboard.
      for (std::uint8_t t : kDsDigestTypes) {
        LdnsRr ds(ldns_key_rr2ds(rr, static_cast<ldns_hash>(t)));
        const ldns_rdf* d = ds ? field(ds.get(), 3) : nullptr;
        r.digests.push_back(Record::Digest{t, d ? rdfOctets(d) : std::string()});
      }
      r.data = ldnsRdataText(rr);
      break;
    }
    default:
      r.data = ldnsRdataText(rr);
      break;
  }
  return r;
}

}  // namespace offboard
