#include "resolvers/root_hints.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "resolvers/rr_convert.h"

namespace offboard {
namespace {

void setError(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

// IANA's root servers (https://www.iana.org/domains/root/servers).
struct BuiltinRoot {
  const char* name;
  const char* v4;
  const char* v6;
};
constexpr BuiltinRoot kIanaRoots[] = {
    {"a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"},
    {"b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"},
    {"c.root-servers.net.", "192.33.4.12", "2001:500:2::c"},
    {"d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"},
    {"e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"},
    {"f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"},
    {"g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"},
    {"h.root-servers.net.", "198.97.190.53", "2001:500:1::53"},
    {"i.root-servers.net.", "192.36.148.17", "2001:7fe::53"},
    {"j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"},
    {"k.root-servers.net.", "193.0.14.129", "2001:7fd::1"},
    {"l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"},
    {"m.root-servers.net.", "202.12.27.33", "2001:dc3::35"},
};

// The line without its comment (named.root has no quoted strings, so ';' always starts one).
std::string_view stripComment(std::string_view line) {
  auto semi = line.find(';');
  if (semi != std::string_view::npos) line = line.substr(0, semi);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
    line.remove_suffix(1);
  return line;
}

}  // namespace

RootHints builtinRootHints() {
  RootHints h;
  h.ttl = 3600000;
  for (const auto& r : kIanaRoots) {
    DnsName n = *DnsName::parse(r.name);
    h.servers.push_back(n);
    h.addresses[n] = {r.v4, r.v6};
  }
  return h;
}

std::optional<RootHints> parseRootHints(std::string_view text, const std::string& fileName,
                                        std::string* error) {
  auto failLine = [&](std::size_t line, const std::string& why) -> std::optional<RootHints> {
    setError(error, fileName + ":" + std::to_string(line) + ": " + why);
    return std::nullopt;
  };
  auto failFile = [&](const std::string& why) -> std::optional<RootHints> {
    setError(error, fileName + ": " + why);
    return std::nullopt;
  };
  // ldns would read a BOM as part of the first owner and drop NUL bytes (reliability §0.5).
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return failFile("starts with a UTF-8 byte-order mark");
  if (text.find('\0') != std::string_view::npos) return failFile("contains a NUL byte");

  RootHints h;
  struct Address {
    DnsName owner;
    std::string text;
    std::size_t line;
  };
  std::vector<Address> addresses;
  std::optional<std::uint32_t> nsTtl;
  LdnsRdf origin = rdfFromName(DnsName::root());

  std::size_t lineNo = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() + 1 : eol + 1;
    ++lineNo;
    std::string_view line = stripComment(raw);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (line.front() == '$') return failLine(lineNo, "directives are not allowed in root hints");
    if (line.front() == ' ' || line.front() == '\t')
      return failLine(lineNo, "every record needs its owner name (no continuation lines)");
    if (line.find('(') != std::string_view::npos || line.find('"') != std::string_view::npos)
      return failLine(lineNo, "parentheses and quotes are not allowed in root hints");

    std::string owned(line);
    ldns_rr* rawRr = nullptr;
    ldns_status st = ldns_rr_new_frm_str(&rawRr, owned.c_str(), 0, origin.get(), nullptr);
    LdnsRr rr(rawRr);
    if (st != LDNS_STATUS_OK || !rr)
      return failLine(lineNo, std::string("cannot parse the record: ") + ldns_get_errorstr_by_id(st));
    if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN)
      return failLine(lineNo, "only class IN records belong in root hints");
    std::string why;
    auto rec = recordFromLdns(rr.get(), &why);
    if (!rec) return failLine(lineNo, why);
    switch (rec->type) {
      case RRType::NS:
        if (!rec->name.isRoot())
          return failLine(lineNo, "NS record for " + rec->name.toString() +
                                      ": root hints only name the root's servers");
        if (std::find(h.servers.begin(), h.servers.end(), rec->target) == h.servers.end())
          h.servers.push_back(rec->target);
        nsTtl = nsTtl ? std::min(*nsTtl, rec->ttl) : rec->ttl;
        break;
      case RRType::A:
      case RRType::AAAA:
        addresses.push_back({rec->name, rec->data, lineNo});
        break;
      default:
        return failLine(lineNo, rrTypeName(rec->type) +
                                    " record: root hints hold only NS, A and AAAA records");
    }
  }
  if (h.servers.empty()) return failFile("no NS record for the root");
  for (const auto& a : addresses) {
    if (std::find(h.servers.begin(), h.servers.end(), a.owner) == h.servers.end())
      return failLine(a.line, "address for " + a.owner.toString() +
                                  ", which no root NS record names");
    auto& list = h.addresses[a.owner];
    if (std::find(list.begin(), list.end(), a.text) == list.end()) list.push_back(a.text);
  }
  for (const auto& s : h.servers) {
    if (!h.addresses.count(s)) return failFile("no address for the root server " + s.toString());
  }
  h.ttl = nsTtl.value_or(0);
  return h;
}

std::optional<RootHints> loadRootHints(const std::string& path, std::string* error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    setError(error, path + ": not a readable file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    setError(error, path + ": cannot be read");
    return std::nullopt;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    setError(error, path + ": read error");
    return std::nullopt;
  }
  return parseRootHints(buf.str(), path, error);
}

}  // namespace offboard
