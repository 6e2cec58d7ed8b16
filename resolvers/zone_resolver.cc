#include "resolvers/zone_resolver.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <unordered_set>

#include "core/i18n.h"
#include "resolvers/rr_convert.h"
#include "resolvers/wire.h"  // kMaxCnameChain: the same bound as answers from the network

namespace offboard {

// Owner names indexed in a hash map; every ancestor of an owner up to the apex has a node too
// (possibly empty: an empty non-terminal exists, RFC 8020), so "does this name exist" and "the
// closest encloser" (RFC 4592 §3.3.1) are hash look-ups, never scans of the zone.
struct ZoneResolver::Zone {
  struct Node {
    std::vector<std::uint32_t> records;  // indices into Zone::records
    bool cut = false;    // NS records strictly below the apex: a zone cut (RFC 1034 §4.2.1)
    bool dname = false;  // DNAME here: names below are redirected (RFC 6672), not answered
  };
  DnsName apex;
  std::string path;
  std::vector<Record> records;
  std::unordered_map<DnsName, Node, DnsNameHash> nodes;
  std::uint32_t negativeTtl = 0;  // min(SOA TTL, SOA MINIMUM), RFC 2308 §5
};

// What one zone says about one name: a final outcome, or a CNAME to follow.
struct ZoneResolver::Step {
  bool cname = false;
  Outcome outcome = Outcome::NotAvailable;
  std::vector<Record> records;  // the answer RRset, or the one CNAME record
  DnsName target;               // CNAME target
  std::optional<std::uint32_t> negativeTtl;
  std::string server;
  std::string detail;
};

namespace {

// RFC 1034 §3.6.2 forbids other data beside a CNAME, but DNSSEC adds its own (RFC 4035 §2.5).
constexpr auto kRrsig = static_cast<RRType>(46);
constexpr auto kNsec = static_cast<RRType>(47);
constexpr auto kDname = static_cast<RRType>(39);
// Longer than any legal record text: ldns' own rdata buffer is 65535 octets.
constexpr std::size_t kMaxEntry = 65535;

bool isDnssecMeta(RRType t) { return t == kRrsig || t == kNsec; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string hexByte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

// One logical entry of a master file (RFC 1035 §5.1): a physical line, or several joined by
// parentheses, with comments removed and parentheses turned into blanks.
struct Entry {
  int line = 0;             // physical line where the entry starts
  bool ownerBlank = false;  // the line starts with a blank: the owner is the previous one
  std::string text;
};

struct FileError {
  int line = 0;
  std::string message;
};

// Splits the file into entries, rejecting what ldns would silently misread (a BOM, NUL bytes,
// an unclosed parenthesis) and what it would accept but we cannot trust (a quote running past
// its line, raw non-ASCII or control octets outside quotes: names must be A-labels, and any
// octet can be written \DDD). CR-LF line ends are accepted.
bool splitEntries(std::string_view in, std::vector<Entry>& out, FileError& err) {
  auto fail = [&](int line, std::string message) {
    err = FileError{line, std::move(message)};
    return false;
  };
  if (in.size() >= 3 && static_cast<unsigned char>(in[0]) == 0xEF &&
      static_cast<unsigned char>(in[1]) == 0xBB && static_cast<unsigned char>(in[2]) == 0xBF)
    return fail(1, tr("UTF-8 byte order mark at the start of the file (save it without a BOM)"));

  int line = 1;
  int depth = 0, parenLine = 0;
  bool inQuote = false;
  int quoteLine = 0;
  bool lineStart = true;
  Entry cur{1, false, {}};

  // Checks one octet that will be part of the entry's text.
  auto checkOctet = [&](unsigned char c) -> bool {
    if (c == 0) return fail(line, tr("NUL byte (write \\000 inside a quoted string)"));
    if ((c < 0x20 && c != '\t') || c == 0x7F)
      return fail(line, trf("control character {byte} (write it as \\DDD)", fmt::arg("byte", hexByte(c))));
    if (c >= 0x80 && !inQuote)
      return fail(line, trf("non-ASCII byte {byte} outside a quoted string (names must be A-labels, xn--…)",
                            fmt::arg("byte", hexByte(c))));
    return true;
  };
  auto finish = [&]() -> bool {
    if (cur.text.find_first_not_of(" \t") != std::string::npos) {
      if (cur.text.size() > kMaxEntry) return fail(cur.line, tr("record longer than 65535 characters"));
      out.push_back(std::move(cur));
    }
    return true;
  };

  for (std::size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] == '\n') continue;  // CR-LF
      return fail(line, tr("carriage return not followed by a line feed"));
    }
    if (c == '\n') {
      if (inQuote) return fail(quoteLine, tr("quoted string not closed on its line"));
      ++line;
      if (depth > 0) {
        cur.text.push_back(' ');
        continue;
      }
      if (!finish()) return false;
      cur = Entry{line, false, {}};
      lineStart = true;
      continue;
    }
    if (lineStart) {
      cur.ownerBlank = (c == ' ' || c == '\t');
      lineStart = false;
    }
    if (!checkOctet(c)) return false;
    if (c == '\\') {
      if (i + 1 >= in.size() || in[i + 1] == '\n' || in[i + 1] == '\r')
        return fail(line, tr("backslash at the end of a line"));
      unsigned char n = static_cast<unsigned char>(in[i + 1]);
      if (!checkOctet(n)) return false;
      cur.text.push_back('\\');
      cur.text.push_back(static_cast<char>(n));
      ++i;
      continue;
    }
    if (inQuote) {
      if (c == '"') inQuote = false;
      cur.text.push_back(static_cast<char>(c));
      continue;
    }
    switch (c) {
      case ';':  // comment to the end of the line
        while (i + 1 < in.size() && in[i + 1] != '\n' && in[i + 1] != '\r') {
          if (in[i + 1] == '\0') return fail(line, tr("NUL byte in a comment"));
          ++i;
        }
        break;
      case '"':
        inQuote = true;
        quoteLine = line;
        cur.text.push_back('"');
        break;
      case '(':
        if (depth++ == 0) parenLine = line;
        cur.text.push_back(' ');
        break;
      case ')':
        if (depth == 0) return fail(line, "')' without a matching '('");
        --depth;
        cur.text.push_back(' ');
        break;
      default:
        cur.text.push_back(static_cast<char>(c));
    }
  }
  if (inQuote) return fail(quoteLine, tr("quoted string not closed"));
  if (depth > 0) return fail(parenLine, tr("unclosed parenthesis"));
  return finish();
}

struct Token {
  std::size_t begin = 0, end = 0;
};

// Blank-separated tokens of an entry, honouring quotes and backslash escapes.
std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    Token t{i, i};
    bool quote = false;
    while (i < s.size() && (quote || (s[i] != ' ' && s[i] != '\t'))) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        i += 2;
        continue;
      }
      if (s[i] == '"') quote = !quote;
      ++i;
    }
    t.end = i;
    out.push_back(t);
  }
  return out;
}

// A TTL: decimal seconds (RFC 1035) or BIND's unit form (1w2d3h4m5s). ldns reads "3o0" as 3
// and wraps values above 2^32, so we parse it ourselves; RFC 2181 §8 caps TTLs at 2^31-1.
std::optional<std::uint32_t> parseTtl(std::string_view s, std::string* error) {
  std::uint64_t total = 0, cur = 0;
  bool digits = false;
  auto bad = [&](const char* why) {
    *error = trf("bad TTL {ttl}: {why}", fmt::arg("ttl", s), fmt::arg("why", why));
    return std::nullopt;
  };
  if (s.empty()) return bad(tr("empty"));
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + static_cast<unsigned>(c - '0');
      digits = true;
      if (cur > 0xFFFFFFFFull) return bad(tr("above 2147483647 (RFC 2181 §8)"));
      continue;
    }
    std::uint64_t mult = 0;
    switch (std::tolower(static_cast<unsigned char>(c))) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 604800; break;
      default: return bad(tr("not a number of seconds or 1w2d3h4m5s"));
    }
    if (!digits) return bad(tr("unit without a number"));
    total += cur * mult;
    cur = 0;
    digits = false;
    if (total > 0x7FFFFFFFull) return bad(tr("above 2147483647 (RFC 2181 §8)"));
  }
  total += cur;
  if (total > 0x7FFFFFFFull) return bad(tr("above 2147483647 (RFC 2181 §8)"));
  return static_cast<std::uint32_t>(total);
}

bool isClassToken(std::string_view t) {
  if (iequals(t, "IN") || iequals(t, "CH") || iequals(t, "CS") || iequals(t, "HS") ||
      iequals(t, "NONE") || iequals(t, "ANY"))
    return true;
  return t.size() > 5 && iequals(t.substr(0, 5), "CLASS") &&
         std::all_of(t.begin() + 5, t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A name in a directive: "@", absolute ("a.b."), or relative to `origin` (RFC 1035 §5.1).
std::optional<DnsName> resolveName(std::string_view tok, const DnsName& origin,
                                   std::string* error) {
  if (tok == "@") return origin;
  std::size_t slashes = 0;
  if (!tok.empty() && tok.back() == '.')
    for (std::size_t k = tok.size() - 1; k > 0 && tok[k - 1] == '\\'; --k) ++slashes;
  bool absolute = !tok.empty() && tok.back() == '.' && slashes % 2 == 0;
  auto n = DnsName::parse(tok, error);
  if (!n || absolute) return n;
  std::vector<std::string> labels = n->labels();
  for (auto& l : origin.labels()) labels.push_back(std::move(l));
  return DnsName::fromLabels(std::move(labels), error);
}

// Builds one Zone from the text of DIR/NAME.zone.
class ZoneBuilder {
 public:
  ZoneBuilder(const DnsName& apex, const std::string& path) : origin_(apex) {
    zone_.apex = apex;
    zone_.path = path;
    originRdf_ = rdfFromName(apex);
  }

  bool build(std::string_view text, FileError& err) {
    std::vector<Entry> entries;
    if (!splitEntries(text, entries, err)) return false;
    for (const Entry& e : entries) {
      bool ok = (!e.ownerBlank && e.text[0] == '$') ? directive(e, err) : record(e, err);
      if (!ok) return false;
    }
    if (!soa_) {
      err = {firstLine_ ? firstLine_ : 1,
             trf("no SOA record at the apex {name}", fmt::arg("name", zone_.apex.toString()))};
      return false;
    }
    normaliseTtls();
    const Record& soa = zone_.records[*soa_];
    zone_.negativeTtl = std::min(soa.ttl, soaMinimum_);
    return true;
  }

  ZoneResolver::Zone take() { return std::move(zone_); }

 private:
  bool directive(const Entry& e, FileError& err) {
    std::vector<Token> toks = tokenize(e.text);
    auto tok = [&](std::size_t k) {
      return std::string_view(e.text).substr(toks[k].begin, toks[k].end - toks[k].begin);
    };
    std::string_view word = tok(0);
    auto fail = [&](std::string m) {
      err = {e.line, std::move(m)};
      return false;
    };
    if (iequals(word, "$INCLUDE"))
      return fail(tr("$INCLUDE is not supported (a zone must be one self-contained file)"));
    if (iequals(word, "$ORIGIN")) {
      if (toks.size() != 2) return fail(tr("$ORIGIN takes exactly one name"));
      std::string why;
      auto n = resolveName(tok(1), origin_, &why);
      if (!n) return fail(trf("bad $ORIGIN {value}: {why}", fmt::arg("value", tok(1)), fmt::arg("why", why)));
      // The file name says which zone this is; an $ORIGIN elsewhere means the file holds
      // another zone (or names would silently land outside it). Sub-origins are fine.
      if (!n->isPartOf(zone_.apex))
        return fail(trf("$ORIGIN {name} disagrees with the file name (zone {zone})", fmt::arg("name", n->toString()),
                        fmt::arg("zone", zone_.apex.toString())));
      origin_ = *n;
      originRdf_ = rdfFromName(origin_);
      return true;
    }
    if (iequals(word, "$TTL")) {
      if (toks.size() != 2) return fail(tr("$TTL takes exactly one value"));
      std::string why;
      auto ttl = parseTtl(tok(1), &why);
      if (!ttl) return fail(why);
      dollarTtl_ = *ttl;
      return true;
    }
    return fail(trf("unsupported directive {value}", fmt::arg("value", word)));
  }

  bool record(const Entry& e, FileError& err) {
    auto fail = [&](std::string m) {
      err = {e.line, std::move(m)};
      return false;
    };
    std::string_view text = e.text;
    std::vector<Token> toks = tokenize(text);
    auto tok = [&](std::size_t k) {
      return text.substr(toks[k].begin, toks[k].end - toks[k].begin);
    };
    std::size_t k = 0;
    std::string owner;
    if (!e.ownerBlank) {
      owner = std::string(tok(0));
      k = 1;
    } else if (!prev_) {
      return fail(tr("record without an owner name and no record before it"));
    }
    if (firstLine_ == 0) firstLine_ = e.line;  // where a missing SOA should have been
    // [TTL] [CLASS] or [CLASS] [TTL] (RFC 1035 §5.1); ldns only takes the first order and
    // misreads bad TTLs, so the header is read here and handed to ldns in one fixed form.
    std::optional<std::uint32_t> ttl;
    bool sawClass = false;
    for (int j = 0; j < 2 && k < toks.size(); ++j) {
      std::string_view t = tok(k);
      if (!ttl && t[0] >= '0' && t[0] <= '9') {
        std::string why;
        ttl = parseTtl(t, &why);
        if (!ttl) return fail(why);
        ++k;
      } else if (!sawClass && isClassToken(t)) {
        if (!iequals(t, "IN") && !iequals(t, "CLASS1"))
          return fail(trf("class {value} is not supported (only IN)", fmt::arg("value", t)));
        sawClass = true;
        ++k;
      } else {
        break;
      }
    }
    if (k >= toks.size()) return fail(tr("record without a type"));
    if (ttl) {
      lastTtl_ = *ttl;
    } else if (dollarTtl_) {
      ttl = dollarTtl_;  // RFC 2308 §4
    } else if (lastTtl_) {
      ttl = lastTtl_;  // RFC 1035 §5.1: the last explicitly stated value
    } else {
      return fail(tr("record without a TTL, and no $TTL before it (RFC 2308 §4)"));
    }
    std::string line = owner + " " + std::to_string(*ttl) + " IN " +
                       std::string(text.substr(toks[k].begin));

    ldns_rr* raw = nullptr;
    ldns_rdf* prev = prev_.release();
    ldns_status st = ldns_rr_new_frm_str(&raw, line.c_str(), 0, originRdf_.get(), &prev);
    prev_.reset(prev);
    LdnsRr rr(raw);
    if (st != LDNS_STATUS_OK || !rr)
      return fail(trf("cannot parse the record: {reason}", fmt::arg("reason", ldns_get_errorstr_by_id(st))));
    // ldns only remembers explicit owners, not "@": keep the previous owner ourselves.
    prev_.reset(ldns_rdf_clone(ldns_rr_owner(rr.get())));

    auto name = nameFromRdf(ldns_rr_owner(rr.get()));
    if (!name) return fail(tr("record owner is not a valid name"));
    if (!name->isPartOf(zone_.apex)) return fail(trf("record outside the zone: {name}", fmt::arg("name", name->toString())));
    std::string why;
    auto rec = recordFromLdns(rr.get(), &why);
    if (!rec) return fail(why);
    std::uint32_t soaMinimum = 0;
    if (rec->type == RRType::SOA) soaMinimum = ldns_rdf2native_int32(ldns_rr_rdf(rr.get(), 6));
    return add(std::move(*rec), soaMinimum, e.line, err);
  }

  bool add(Record rec, std::uint32_t soaMinimum, int line, FileError& err) {
    auto fail = [&](std::string m) {
      err = {line, std::move(m)};
      return false;
    };
    Zone::Node& node = zone_.nodes[rec.name];
    bool hasCname = false, hasOther = false;
    for (std::uint32_t idx : node.records) {
      const Record& o = zone_.records[idx];
      if (o.type == rec.type && o.data == rec.data) return true;  // an RRset is a set (RFC 2181 §5)
      if (o.type == RRType::CNAME) hasCname = true;
      else if (!isDnssecMeta(o.type)) hasOther = true;
    }
    if (rec.type == RRType::CNAME && hasCname)
      return fail(trf("second CNAME record at {name}", fmt::arg("name", rec.name.toString())));
    if ((rec.type == RRType::CNAME && hasOther) ||
        (hasCname && rec.type != RRType::CNAME && !isDnssecMeta(rec.type)))
      return fail(trf("CNAME and other data at {name} (RFC 1034 §3.6.2)", fmt::arg("name", rec.name.toString())));
    if (rec.type == RRType::SOA) {
      if (rec.name != zone_.apex) return fail(trf("SOA record below the apex: {name}", fmt::arg("name", rec.name.toString())));
      if (soa_) return fail(tr("second SOA record"));
      soa_ = zone_.records.size();
      soaMinimum_ = soaMinimum;
    }
    if (rec.type == RRType::NS && rec.name != zone_.apex) node.cut = true;
    if (rec.type == kDname) node.dname = true;
    node.records.push_back(static_cast<std::uint32_t>(zone_.records.size()));
    // Every ancestor up to the apex exists (empty non-terminals); stop at the first known one,
    // whose ancestors are known already.
    for (DnsName n = rec.name; n != zone_.apex;) {
      n = n.parent();
      if (!zone_.nodes.try_emplace(n).second) break;
    }
    zone_.records.push_back(std::move(rec));
    return true;
  }

  // RFC 2181 §5.2: an RRset whose TTLs differ is treated as if all had the lowest one.
  void normaliseTtls() {
    for (auto& [name, node] : zone_.nodes) {
      for (std::uint32_t a : node.records) {
        std::uint32_t low = zone_.records[a].ttl;
        for (std::uint32_t b : node.records)
          if (zone_.records[b].type == zone_.records[a].type)
            low = std::min(low, zone_.records[b].ttl);
        zone_.records[a].ttl = low;
      }
    }
  }

  using Zone = ZoneResolver::Zone;
  Zone zone_;
  DnsName origin_;
  LdnsRdf originRdf_;
  LdnsRdf prev_;
  std::optional<std::uint32_t> dollarTtl_, lastTtl_;
  std::optional<std::size_t> soa_;
  std::uint32_t soaMinimum_ = 0;
  int firstLine_ = 0;
};

// The zone a file name stands for: NAME.zone holds NAME, root.zone the root.
std::optional<DnsName> zoneFromFileName(const std::string& file, std::string* error) {
  std::string stem = file.substr(0, file.size() - 5);
  for (unsigned char c : stem) {
    if (c <= 0x20 || c >= 0x7F) {
      *error = tr("the file name must be the zone's A-label form (xn--…), in ASCII");
      return std::nullopt;
    }
  }
  if (iequals(stem, "root")) return DnsName::root();
  std::string why;
  auto n = DnsName::parse(stem, &why);
  if (!n) *error = trf("the file name is not a zone name: {why}", fmt::arg("why", why));
  return n;
}

// ldns_rr_new_frm_str allocates and frees about 192 KiB of scratch buffers per record. With
// glibc's default 128 KiB trim threshold each free shrinks the heap with brk() and the next
// record grows it again (page faults and TLB flushes: most of the load time for 1,000 zones).
// Freeing one mmap'd 1 MiB block raises glibc's dynamic mmap and trim thresholds (mallopt(3),
// M_MMAP_THRESHOLD), so the scratch memory stays in the heap; other allocators ignore it.
void keepLdnsScratchInHeap() {
  void* volatile block = std::malloc(std::size_t{1} << 20);
  std::free(block);
}

}  // namespace

ZoneResolver::ZoneResolver(std::string dir) : dir_(std::move(dir)) {}
ZoneResolver::~ZoneResolver() = default;

std::unique_ptr<ZoneResolver> ZoneResolver::load(const std::string& dir, std::string* error) {
  namespace fs = std::filesystem;
  auto fail = [&](std::string m) {
    if (error) *error = std::move(m);
    return nullptr;
  };
  auto unreadable = [&](const std::error_code& e) {
    return fail(trf("{dir}: cannot read the zone directory: {reason}", fmt::arg("dir", dir),
                    fmt::arg("reason", e.message())));
  };
  std::error_code ec;
  std::vector<std::string> files;
  fs::directory_iterator it(dir, ec), end;
  if (ec) return unreadable(ec);
  for (; it != end; it.increment(ec)) {
    if (ec) return unreadable(ec);
    std::string file = it->path().filename().string();
    if (file.size() < 5 || file.compare(file.size() - 5, 5, ".zone") != 0) continue;
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    files.push_back(std::move(file));
  }
  if (ec) return unreadable(ec);
  if (files.empty()) return fail(trf("{dir}: no .zone files in the directory", fmt::arg("dir", dir)));
  std::sort(files.begin(), files.end());

  keepLdnsScratchInHeap();
  std::unique_ptr<ZoneResolver> res(new ZoneResolver(dir));
  for (const std::string& file : files) {
    std::string path = (fs::path(dir) / file).string();
    std::string why;
    auto apex = zoneFromFileName(file, &why);
    if (!apex) return fail(path + ": " + why);
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return fail(trf("{path}: cannot read the file", fmt::arg("path", path)));
    ZoneBuilder builder(*apex, path);
    FileError ferr;
    if (!builder.build(text, ferr))
      return fail(path + ":" + std::to_string(ferr.line) + ": " + ferr.message);
    auto zone = std::make_unique<const Zone>(builder.take());
    auto [pos, inserted] = res->zones_.try_emplace(*apex, nullptr);
    if (!inserted)
      return fail(trf("{path}: zone {zone} is also held by {other}", fmt::arg("path", path),
                      fmt::arg("zone", apex->toString()), fmt::arg("other", pos->second->path)));
    pos->second = std::move(zone);
  }
  return res;
}

void ZoneResolver::submit(const Question& q, Callback cb) {
  queue_.emplace_back(q, std::move(cb));
}

void ZoneResolver::run() {
  while (!queue_.empty()) {
    auto [q, cb] = std::move(queue_.front());
    queue_.pop_front();
    cb(resolve(q));
  }
}

std::string ZoneResolver::describe() const { return "zones " + dir_; }

const std::vector<Record>* ZoneResolver::zoneListing(const DnsName& zone) const {
  auto it = zones_.find(zone);
  return it == zones_.end() ? nullptr : &it->second->records;
}

std::optional<DnsName> ZoneResolver::zoneFor(const DnsName& name) const {
  if (name.isEmpty()) return std::nullopt;
  for (DnsName n = name;; n = n.parent()) {
    if (zones_.count(n)) return n;
    if (n.isRoot()) return std::nullopt;
  }
}

DnsName ZoneResolver::containingApex(const DnsName& name) const {
  auto held = zoneFor(name);
  if (!held) return name;
  const Zone& z = *zones_.at(*held);
  // The highest cut between the held zone's apex and the name starts the zone the name is in.
  DnsName apex = *held;
  for (DnsName n = name; n != z.apex; n = n.parent()) {
    auto it = z.nodes.find(n);
    if (it != z.nodes.end() && it->second.cut) apex = n;
  }
  return apex;
}

ZoneResolver::Step ZoneResolver::lookup(const DnsName& name, RRType type,
                                        bool parentSide) const {
  Step s;
  // The parent side of a delegation (its NS set, the DS) is the data of the zone above it.
  bool parent = parentSide && !name.isRoot();
  auto apex = zoneFor(parent ? name.parent() : name);
  if (!apex) {
    s.server = "zones:" + dir_;
    s.detail = parent ? "no zone in " + dir_ + " holds the parent of " + name.toString()
                      : "no zone in " + dir_ + " holds " + name.toString();
    return s;
  }
  const Zone& z = *zones_.at(*apex);
  s.server = "zones:" + z.path;

  // The highest zone cut (or DNAME) between the apex and the name: DIR does not hold the zone
  // below it (else that zone would have been the longest match), so nothing there is known.
  std::optional<DnsName> barrier;
  bool barrierIsDname = false;
  for (DnsName n = name; n != z.apex; n = n.parent()) {
    auto it = z.nodes.find(n);
    if (it == z.nodes.end()) continue;
    if (it->second.dname && n != name) {
      barrier = n;
      barrierIsDname = true;
    }
    if (it->second.cut && !(parent && n == name)) {
      barrier = n;
      barrierIsDname = false;
    }
  }
  if (barrier) {
    s.detail = barrierIsDname
                   ? "DNAME at " + barrier->toString() + " is not followed from zone files"
                   : "zone " + barrier->toString() + " is delegated but not in " + dir_;
    return s;
  }

  s.negativeTtl = z.negativeTtl;
  const Zone::Node* node = nullptr;
  if (auto it = z.nodes.find(name); it != z.nodes.end()) {
    node = &it->second;
  } else {
    // RFC 4592 §3.3.1: the closest encloser always exists (the apex does); a wildcard
    // immediately below it synthesises the answer for the missing name.
    DnsName ce = name.parent();
    while (!z.nodes.count(ce)) ce = ce.parent();
    if (auto w = ce.prepend("*")) {
      if (auto wit = z.nodes.find(*w); wit != z.nodes.end()) node = &wit->second;
    }
    if (!node) {
      s.outcome = Outcome::NxDomain;
      return s;
    }
  }

  const Record* cname = nullptr;
  for (std::uint32_t idx : node->records) {
    const Record& r = z.records[idx];
    if (r.type == type || type == RRType::ANY) {
      s.records.push_back(r);
      s.records.back().name = name;  // a synthesised record is owned by the name asked
    }
    if (r.type == RRType::CNAME) cname = &r;
  }
  if (!s.records.empty()) {
    s.outcome = Outcome::Answer;
    s.negativeTtl.reset();
    return s;
  }
  if (cname) {
    s.cname = true;
    s.records.push_back(*cname);
    s.records.back().name = name;
    s.target = cname->target;
    s.negativeTtl.reset();
    return s;
  }
  s.outcome = Outcome::NoData;
  return s;
}

Observation ZoneResolver::resolve(const Question& q) const {
  Observation obs;
  obs.question = q;
  obs.server = "zones:" + dir_;
  if (q.name.isEmpty()) {
    obs.outcome = Outcome::Malformed;
    obs.detail = "empty question name";
    return obs;
  }
  // DS lives in the parent (RFC 4035 §2.4); Question::parentSide asks for the delegation NS.
  bool parentSide = (q.parentSide && q.type == RRType::NS) || q.type == RRType::DS;
  if (q.parentSide && q.type == RRType::NS && q.name.isRoot()) {
    obs.outcome = Outcome::NotAvailable;
    obs.detail = "the root zone has no parent";
    return obs;
  }
  std::unordered_set<DnsName, DnsNameHash> seen{q.name};
  DnsName name = q.name;
  // The parent side is the delegation of the zone that contains the name (Question::parentSide):
  // for a name inside a zone without a cut of its own, that is the enclosing zone's apex.
  if (q.parentSide && q.type == RRType::NS) name = containingApex(q.name);
  for (;;) {
    Step s = lookup(name, q.type, parentSide);
    obs.server = std::move(s.server);
    if (!s.cname) {
      obs.outcome = s.outcome;
      obs.answer = std::move(s.records);
      obs.negativeTtl = s.negativeTtl;
      obs.detail = std::move(s.detail);
      return obs;
    }
    // The bound is checked before the CNAME joins the chain, so no observation, however it
    // ends, holds more than kMaxCnameChain links (a loop of nine names once showed nine).
    if (obs.chain.size() == kMaxCnameChain) {
      bool loops = seen.count(s.target) > 0;
      obs.outcome = loops ? Outcome::CnameLoop : Outcome::ChainTooLong;
      obs.detail = loops ? "CNAME chain comes back to " + s.target.toString()
                         : "more than " + std::to_string(kMaxCnameChain) + " CNAMEs";
      return obs;
    }
    obs.chain.push_back(std::move(s.records.front()));
    if (!seen.insert(s.target).second) {
      obs.outcome = Outcome::CnameLoop;
      obs.detail = "CNAME chain comes back to " + s.target.toString();
      return obs;
    }
    name = s.target;
  }
}

}  // namespace offboard
