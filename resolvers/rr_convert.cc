#include "resolvers/rr_convert.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "core/append.h"

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
  return DnsName::fromWire(rdfWire(rdf));
}

LdnsRdf rdfFromName(const DnsName& name) {
  std::string wire(name.wireLabels());
  wire.push_back('\0');
  return LdnsRdf(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data()));
}

namespace {

// Appends quoteTxtString(raw) to `out`: the runs of octets that need no escape go out whole.
void appendQuotedTxt(std::string& out, std::string_view raw) {
  out.push_back('"');
  std::size_t from = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    const bool backslash = c == '"' || c == '\\';
    const bool decimal = c < 0x20 || c >= 0x7f;
    if (!backslash && !decimal) continue;
    out.append(raw.data() + from, i - from);
    from = i + 1;
    if (backslash) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    }
  }
  out.append(raw.data() + from, raw.size() - from);
  out.push_back('"');
}

}  // namespace

std::string quoteTxtString(const std::string& raw) {
  std::string out;
  out.reserve(raw.size() + 2);
  appendQuotedTxt(out, raw);
  return out;
}

bool readsFieldByField(RRType type) {
  switch (type) {
    case RRType::NS:
    case RRType::CNAME:
    case RRType::PTR:
    case RRType::MX:
    case RRType::SRV:
    case RRType::TXT:
    case RRType::A:
    case RRType::AAAA:
    case RRType::SOA: return true;
    default: return false;
  }
}

void fillFromParts(Record& r, RdataParts&& parts) {
  switch (r.type) {
    case RRType::MX:
    case RRType::SRV: {
      // Written in place, with room for the target's presentation form made once (it is at
      // most one octet longer than the wire form unless a label needs escapes).
      r.preference = static_cast<std::uint16_t>(parts.numbers[0]);
      r.target = std::move(parts.names[0]);
      r.data.reserve(18 + r.target.wireLabels().size() + 1);
      appendDecimal(r.data, r.preference);
      r.data.push_back(' ');
      if (r.type == RRType::SRV) {
        r.weight = static_cast<std::uint16_t>(parts.numbers[1]);
        r.port = static_cast<std::uint16_t>(parts.numbers[2]);
        appendDecimal(r.data, r.weight);
        r.data.push_back(' ');
        appendDecimal(r.data, r.port);
        r.data.push_back(' ');
      }
      r.target.appendTo(r.data);
      break;
    }
    case RRType::TXT: {
      r.strings = std::move(parts.strings);
      std::size_t room = 0;
      for (const auto& part : r.strings) room += part.size() + 3;
      r.data.reserve(room);
      for (std::size_t i = 0; i < r.strings.size(); ++i) {
        if (i) r.data.push_back(' ');
        appendQuotedTxt(r.data, r.strings[i]);
      }
      break;
    }
    case RRType::A:
    case RRType::AAAA: {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(r.type == RRType::A ? AF_INET : AF_INET6, parts.address, buf, sizeof buf);
      r.data = buf;
      break;
    }
    case RRType::SOA:
      r.target = parts.names[0];
      r.data = parts.names[0].toString() + " " + parts.names[1].toString();
      for (std::uint32_t v : parts.numbers) r.data += " " + std::to_string(v);
      break;
    default:  // NS, CNAME, PTR
      r.target = std::move(parts.names[0]);
      r.target.appendTo(r.data);
      break;
  }
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
  if (readsFieldByField(r.type)) {
    RdataParts parts;
    const std::size_t fields = ldns_rr_rd_count(rr);
    auto name = [&](std::size_t i, std::size_t slot) {
      auto n = nameField(rr, i);
      if (!n) return false;
      parts.names[slot] = std::move(*n);
      return true;
    };
    auto int16 = [&](std::size_t i, std::size_t slot) {
      auto v = int16Field(rr, i);
      if (!v) return false;
      parts.numbers[slot] = *v;
      return true;
    };
    auto octets = [&](std::size_t i, std::size_t size) {
      const ldns_rdf* f = field(rr, i);
      if (!f || ldns_rdf_size(f) != size) return false;
      parts.address = ldns_rdf_data(f);
      return true;
    };
    bool ok = false;
    switch (r.type) {
      case RRType::MX: ok = fields == 2 && int16(0, 0) && name(1, 0); break;
      case RRType::SRV:
        ok = fields == 4 && int16(0, 0) && int16(1, 1) && int16(2, 2) && name(3, 0);
        break;
      case RRType::A: ok = octets(0, 4); break;
      case RRType::AAAA: ok = octets(0, 16); break;
      case RRType::TXT:
        ok = fields > 0;
        for (std::size_t i = 0; ok && i < fields; ++i) {
          const ldns_rdf* f = ldns_rr_rdf(rr, i);
          const std::uint8_t* d = ldns_rdf_data(f);
          std::size_t n = ldns_rdf_size(f);
          ok = n > 0 && d[0] == n - 1;
          if (ok) parts.strings.emplace_back(reinterpret_cast<const char*>(d + 1), n - 1);
        }
        break;
      case RRType::SOA:
        ok = fields == 7 && name(0, 0) && name(1, 1);
        for (std::size_t i = 2; ok && i < 7; ++i) {
          const ldns_rdf* f = ldns_rr_rdf(rr, i);
          ok = ldns_rdf_size(f) == 4;
          if (ok) parts.numbers[i - 2] = ldns_rdf2native_int32(f);
        }
        break;
      default: ok = fields == 1 && name(0, 0); break;  // NS, CNAME, PTR
    }
    if (!ok) return bad(rrTypeName(r.type).c_str());
    fillFromParts(r, std::move(parts));
    return r;
  }
  switch (r.type) {
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
