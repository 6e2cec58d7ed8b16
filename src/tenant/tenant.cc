#include "tenant/tenant.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/i18n.h"
#include "time/time_text.h"

namespace offboard {
namespace {

// Appends code point `cp` (at most 0x10FFFF, no surrogate) to `out` as UTF-8.
void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

using json = nlohmann::json;

// Input errors unwind to parseTenant (and the two collection parsers), which turn them into
// "FILE: where: what". They never leave this file.
struct InputError {
  std::string where;
  std::string what;
};

[[noreturn]] void bad(const std::string& where, std::string what) {
  throw InputError{where, std::move(what)};
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Graph keys are camelCase, PowerShell's PascalCase: look keys up case-insensitively. Returns the
// key as written in the file too, for messages.
const json* member(const json& obj, std::string_view name, std::string* written = nullptr) {
  if (!obj.is_object()) return nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (iequals(it.key(), name)) {
      if (written) *written = it.key();
      return &it.value();
    }
  }
  return nullptr;
}

const char* typeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return tr("an object");
    case json::value_t::array: return tr("an array");
    case json::value_t::string: return tr("a string");
    case json::value_t::boolean: return tr("a boolean");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return tr("an integer");
    case json::value_t::number_float: return tr("a number");
    default: return tr("not a JSON value");
  }
}

std::string expectString(const json& v, const std::string& where) {
  if (!v.is_string()) bad(where, trf("not a string (found {type})", fmt::arg("type", typeName(v))));
  return v.get<std::string>();
}

std::optional<bool> optionalBool(const json& obj, std::string_view key, const std::string& path) {
  std::string written;
  const json* v = member(obj, key, &written);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_boolean())
    bad(join(path, written), trf("not a boolean (found {type})", fmt::arg("type", typeName(*v))));
  return v->get<bool>();
}

// A string property, blanks around it trimmed; nullopt when absent or null.
std::optional<std::string> optionalString(const json& obj, std::string_view key, const std::string& path) {
  std::string written;
  const json* v = member(obj, key, &written);
  if (!v || v->is_null()) return std::nullopt;
  std::string s = expectString(*v, join(path, written));
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return std::string();
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// A Graph dateTimeOffset as Graph writes it (RFC 3339, "2019-08-24T14:15:22Z") or as Windows
// PowerShell 5.1's ConvertTo-Json writes a DateTime ("/Date(1566656122000)/", milliseconds since
// 1970). nullopt when it is neither (a time without an offset, say): a caller must then treat the
// time as unknown, never as early or late.
std::optional<std::int64_t> graphTime(const std::string& text) {
  if (auto t = parseRfc3339(text)) return t;
  static constexpr std::string_view kOpen = "/Date(", kClose = ")/";
  std::string_view v = text;
  if (v.size() <= kOpen.size() + kClose.size() || v.substr(0, kOpen.size()) != kOpen ||
      v.substr(v.size() - kClose.size()) != kClose)
    return std::nullopt;
  v = v.substr(kOpen.size(), v.size() - kOpen.size() - kClose.size());
  // "/Date(1566656122000+0200)/" carries an offset after the instant: the instant decides.
  if (auto sign = v.find_first_of("+-", 1); sign != std::string_view::npos) v = v.substr(0, sign);
  if (v.empty() || v.size() > 15 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<std::int64_t>(std::stoll(std::string(v)) / 1000);
}

DnsName hostName(const std::string& text, const std::string& where) {
  std::string err;
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.empty() || t == ".") bad(where, tr("an empty host name"));
  auto n = DnsName::parse(t, &err);
  if (!n) bad(where, trf("{text} is not a DNS name: {why}", fmt::arg("text", quoteForMessage(text)), fmt::arg("why", err)));
  if (n->labelCount() < 2) bad(where, trf("{text} is not a fully qualified host name", fmt::arg("text", quoteForMessage(text))));
  return *n;
}

// Graph pages its collections: a response with "@odata.nextLink" (or, beside an expanded
// property, "domainNameReferences@odata.nextLink") holds one page, and the rest is behind the
// link. Read as complete, a domain on a later page would look absent from the export, which is
// what `remove-domain` takes for "removed". So a page is refused, never read as the whole.
void refusePage(const json& obj, const std::string& path) {
  if (!obj.is_object()) return;
  static constexpr std::string_view kLink = "@odata.nextLink";
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::string_view k = it.key();
    bool link = iequals(k, "odata.nextLink") ||  // the older OData JSON spelling
                (k.size() >= kLink.size() && iequals(k.substr(k.size() - kLink.size()), kLink));
    if (!link) continue;
    bad(join(path, it.key()),
        tr("this export is one page of several (Graph put the rest behind this link). "
                    "Read as the whole list, whatever is on the later pages would look absent "
                    "from the export, and a domain absent from it looks removed. Export every "
                    "page: Get-MgDomain -All | ConvertTo-Json -Depth 5 > domains.json, or follow "
                    "@odata.nextLink until a response has none (Graph's $top sets the page size) "
                    "and put every page's items in one {\"value\": [...]}"));
  }
}

// A collection as Graph returns it ({"value": [...]}) or as PowerShell nests it (a bare array);
// null means empty. Items are returned with their paths. One page of a paged collection is
// refused (refusePage).
std::vector<std::pair<const json*, std::string>> collection(const json& v, const std::string& path) {
  std::vector<std::pair<const json*, std::string>> out;
  if (v.is_null()) return out;
  const json* arr = &v;
  std::string arrPath = path;
  if (v.is_object()) {
    refusePage(v, path);
    std::string written;
    arr = member(v, "value", &written);
    if (!arr) bad(path, tr("an object without \"value\" (expected an array, or {\"value\": [...]})"));
    arrPath = join(path, written);
    if (arr->is_null()) return out;
  }
  if (!arr->is_array())
    bad(arrPath, trf("not an array (found {type})", fmt::arg("type", typeName(*arr))));
  for (std::size_t i = 0; i < arr->size(); ++i) out.emplace_back(&(*arr)[i], index(arrPath, i));
  return out;
}

void requireObject(const json& v, const std::string& where, const char* what) {
  if (v.is_object()) return;
  if (v.is_string())
    bad(where, trf("a string where {what} object was expected (PowerShell's ConvertTo-Json cuts objects "
                   "nested deeper than -Depth into strings: export with -Depth 5)",
                   fmt::arg("what", what)));
  bad(where, trf("not an object (found {type})", fmt::arg("type", typeName(v))));
}

// A property of a Graph DNS record; Graph PowerShell puts the derived type's properties
// (mailExchange, preference, text, …) under AdditionalProperties.
const json* recordProperty(const json& rec, std::string_view key, std::string* written) {
  if (const json* v = member(rec, key, written)) return v;
  std::string apKey;
  if (const json* ap = member(rec, "AdditionalProperties", &apKey); ap && ap->is_object()) {
    if (const json* v = member(*ap, key, written)) {
      *written = apKey + "." + *written;
      return v;
    }
  }
  return nullptr;
}

bool isMxRecord(const json& rec) {
  std::string w;
  if (const json* t = recordProperty(rec, "recordType", &w); t && t->is_string())
    return iequals(t->get<std::string>(), "mx");
  if (const json* t = recordProperty(rec, "@odata.type", &w); t && t->is_string()) {
    std::string s = t->get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s.find("domaindnsmxrecord") != std::string::npos;
  }
  return false;
}

struct RecordsRead {
  std::vector<DnsName> mx;           // exact mailExchange values
  std::vector<std::string> mxLabels; // the MX records' labels (the domain, for bare collections)
};

RecordsRead readRecords(const json& v, const std::string& path) {
  RecordsRead out;
  for (const auto& [item, where] : collection(v, path)) {
    requireObject(*item, where, tr("a DNS record"));
    if (!isMxRecord(*item)) continue;  // TXT/CNAME/SRV: the checks recognise them by suffix
    std::string w;
    if (const json* label = recordProperty(*item, "label", &w); label && !label->is_null())
      out.mxLabels.push_back(expectString(*label, join(where, w)));
    const json* mx = recordProperty(*item, "mailExchange", &w);
    if (!mx || mx->is_null()) continue;  // verificationDnsRecords: Microsoft omits it
    DnsName host = hostName(expectString(*mx, join(where, w)), join(where, w));
    if (std::find(out.mx.begin(), out.mx.end(), host) == out.mx.end()) out.mx.push_back(host);
  }
  return out;
}

std::vector<std::string> readReferences(const json& v, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& [item, where] : collection(v, path)) {
    requireObject(*item, where, tr("a directory"));
    std::string shown;
    for (auto key : {"userPrincipalName", "mail", "displayName", "objectId", "id"}) {
      std::string w;
      const json* s = recordProperty(*item, key, &w);
      if (s && s->is_string() && !s->get<std::string>().empty()) {
        shown = s->get<std::string>();
        break;
      }
    }
    out.push_back(shown.empty() ? "(an object without a name)" : shown);
  }
  return out;
}

bool looksLikeReference(const json& item) {
  if (!item.is_object()) return false;
  std::string w;
  if (member(item, "objectType", &w) || member(item, "userPrincipalName", &w) ||
      member(item, "odata.type", &w))
    return true;
  if (const json* t = member(item, "@odata.type", &w); t && t->is_string()) {
    std::string s = t->get<std::string>();
    return s.find("user") != std::string::npos || s.find("group") != std::string::npos ||
           s.find("User") != std::string::npos || s.find("Group") != std::string::npos;
  }
  return false;
}

bool looksLikeRecord(const json& item) {
  std::string w;
  if (!item.is_object()) return false;
  if (member(item, "recordType", &w)) return true;
  if (const json* t = member(item, "@odata.type", &w); t && t->is_string())
    return t->get<std::string>().find("domainDns") != std::string::npos;
  return false;
}

class Reader {
 public:
  explicit Reader(Tenant& t) : t_(t) {}

  // Adds a domain unless it is initial or a duplicate. `where` names its position;
  // `initialFlag` is the export's isInitial.
  //
  // The name decides, not the flag. An isInitial domain whose name is an initial domain's
  // (*.onmicrosoft.com and the like) is the tenant's initial domain: it cannot be removed and is
  // skipped (and names the tenant, see initialDomain()). One whose name is not is kept and
  // offboarded like any custom domain, with a note. Why keep it rather than refuse the file:
  // Microsoft creates the initial domain under onmicrosoft.com, so a custom name marked initial
  // is an edited or placeholder export (Graph's own example marks contoso.com so); dropping it
  // would leave a domain that may still point at Microsoft 365 out of the plan and let the gate
  // pass without it, while keeping it only adds steps the operator can see, ack or waive.
  void addDomain(TenantDomain d, const std::string& where, bool initialFlag) {
    const std::string shown = d.input.name.toStringNoDot();
    if (isInitialDomainName(d.input.name)) {
      t_.skipped.push_back(shown + " (" + where +
                           "): an initial Microsoft domain; it can never be removed, so it is not "
                           "offboarded");
      if (initialFlag) {
        if (initial_ && initial_->first != d.input.name)
          bad(where, trf("a second domain marked isInitial ({domain}; the first is {first} at {at}): a tenant "
                         "has exactly one initial domain, so this export mixes two tenants; export each "
                         "tenant on its own",
                         fmt::arg("domain", shown), fmt::arg("first", initial_->first.toStringNoDot()),
                         fmt::arg("at", initial_->second)));
        if (!initial_) initial_.emplace(d.input.name, where.empty() ? tr("the top level") : where);
      }
      return;
    }
    if (initialFlag)
      t_.skipped.push_back("the isInitial mark on " + shown + " (" + where +
                           "): initial domains are named under onmicrosoft.com (or "
                           "onmicrosoft.us, onmicrosoft.de, partner.onmschina.cn) and this name "
                           "is not, so it is offboarded like any custom domain");
    if (!seen_.insert(d.input.name).second) {
      t_.skipped.push_back(shown + " (" + where + "): listed twice; the first entry is used");
      return;
    }
    t_.domains.push_back(std::move(d));
  }

  // The export's initial domain (isInitial, and an initial domain's name), with its position.
  const std::optional<std::pair<DnsName, std::string>>& initialDomain() const { return initial_; }

  // A tenant has exactly one default domain (Microsoft: "Set as default"), initial or not: two
  // different domains marked isDefault are two tenants mixed, or an edited export, and which one
  // the set-default-domain step is about would be a guess.
  void markDefault(const DnsName& name, const std::string& where) {
    if (default_ && default_->first != name)
      bad(where, trf("a second domain marked isDefault ({domain}; the first is {first} at {at}): a tenant "
                     "has exactly one default domain, so this export mixes two tenants or was edited; "
                     "export each tenant on its own",
                     fmt::arg("domain", name.toStringNoDot()), fmt::arg("first", default_->first.toStringNoDot()),
                     fmt::arg("at", default_->second)));
    if (!default_) default_.emplace(name, where.empty() ? tr("the top level") : where);
    t_.defaultDomain = name;
  }

  DomainInput domainName(const std::string& text, const std::string& where) {
    std::string why;
    auto d = normalizeDomain(text, &why);
    if (!d) bad(where, quoteForMessage(text) + " " + why);
    return *d;
  }

  // A Graph domain object (camelCase or PascalCase), or the tool's {"name": …} object.
  void graphDomain(const json& obj, const std::string& where) {
    requireObject(obj, where, tr("a domain"));
    refusePage(obj, where);
    std::string w;
    const json* id = member(obj, "id", &w);
    if (!id) id = member(obj, "name", &w);
    if (!id) bad(where, tr("a domain object without \"id\""));
    TenantDomain d;
    d.input = domainName(expectString(*id, join(where, w)), join(where, w));
    d.adminManaged = optionalBool(obj, "isAdminManaged", where);
    d.isDefault = optionalBool(obj, "isDefault", where).value_or(false);
    d.verified = optionalBool(obj, "isVerified", where);
    bool initial = optionalBool(obj, "isInitial", where).value_or(false);
    if (d.isDefault) markDefault(d.input.name, where);
    d.authenticationType = optionalString(obj, "authenticationType", where);
    // state (domainState): {lastActionDateTime, operation, status}. A force delete scheduled,
    // running or failed is what the removal step must show; a Verification is not about removal.
    if (const json* st = member(obj, "state", &w); st && !st->is_null()) {
      const std::string at = join(where, w);
      requireObject(*st, at, tr("a domain state"));
      auto operation = optionalString(*st, "operation", at);
      if (operation && iequals(*operation, "ForceDelete")) {
        TenantDomain::ForceDelete fd;
        fd.status = optionalString(*st, "status", at).value_or("");
        if (auto when = optionalString(*st, "lastActionDateTime", at)) fd.lastAction = graphTime(*when);
        d.forceDelete = std::move(fd);
      }
    }
    // supportedServices: an array of strings; a lone string is one service (PowerShell unrolls
    // a one-element array when a property is built from a pipeline). null: not exported.
    if (const json* svc = member(obj, "supportedServices", &w); svc && !svc->is_null()) {
      const std::string at = join(where, w);
      std::vector<std::string> services;
      if (svc->is_string()) {
        services.push_back(svc->get<std::string>());
      } else if (svc->is_array()) {
        for (std::size_t i = 0; i < svc->size(); ++i)
          services.push_back(expectString((*svc)[i], index(at, i)));
      } else {
        bad(at, trf("not an array of strings (found {type})", fmt::arg("type", typeName(*svc))));
      }
      d.supportedServices = std::move(services);
    }
    if (const json* scr = member(obj, "serviceConfigurationRecords", &w))
      d.knownMicrosoftMx = readRecords(*scr, join(where, w)).mx;
    if (const json* refs = member(obj, "domainNameReferences", &w); refs && !refs->is_null())
      d.references = readReferences(*refs, join(where, w));
    addDomain(std::move(d), where, initial);
  }

  void graphList(const std::vector<std::pair<const json*, std::string>>& items) {
    t_.source = TenantSource::GraphList;
    for (const auto& [item, where] : items) graphDomain(*item, where);
  }

  void records(const json& v) {
    t_.source = TenantSource::GraphRecords;
    RecordsRead r = readRecords(v, "");
    if (r.mxLabels.empty())
      bad("", tr("a DNS-record collection without an MX record: it does not say which domain it "
                 "belongs to (embed it in the domain object as \"serviceConfigurationRecords\")"));
    std::set<std::string> labels;
    for (const auto& label : r.mxLabels) {
      if (!labels.insert(label).second) continue;
      TenantDomain d;
      d.input = domainName(label, "MX label");
      d.knownMicrosoftMx = r.mx;
      addDomain(std::move(d), "MX label", false);
    }
  }

  void ownFile(const json& top) {
    t_.source = TenantSource::OwnFile;
    static constexpr std::array<std::string_view, 7> kKeys{
        "tenant", "cloud", "subscriptions", "domains", "new_mail", "new_dns", "cutover"};
    for (auto it = top.begin(); it != top.end(); ++it) {
      const std::string& k = it.key();
      if (!k.empty() && (k[0] == '$' || k[0] == '_')) continue;  // "$schema", "_comment"
      if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
        bad(k, tr("unknown key (known: tenant, cloud, subscriptions, domains, new_mail, new_dns, "
                  "cutover; keys starting with _ or $ are ignored)"));
    }
    if (top.contains("tenant") && !top["tenant"].is_null())
      t_.name = expectString(top["tenant"], "tenant");
    if (top.contains("cloud") && !top["cloud"].is_null()) {
      std::string c = expectString(top["cloud"], "cloud");
      auto cloud = cloudFromName(c);
      if (!cloud) bad("cloud", trf("{value} is not one of worldwide, us-gov, 21vianet, germany", fmt::arg("value", quoteForMessage(c))));
      t_.cloud = cloud;
    }
    if (top.contains("subscriptions")) subscriptions(top["subscriptions"]);
    if (!top.contains("domains")) bad("domains", tr("missing (the custom domains to offboard)"));
    const json& doms = top["domains"];
    if (!doms.is_array()) bad("domains", trf("not an array (found {type})", fmt::arg("type", typeName(doms))));
    for (std::size_t i = 0; i < doms.size(); ++i) {
      std::string where = index("domains", i);
      if (doms[i].is_string()) {
        TenantDomain d;
        d.input = domainName(doms[i].get<std::string>(), where);
        addDomain(std::move(d), where, false);
      } else if (doms[i].is_object()) {
        graphDomain(doms[i], where);
      } else {
        bad(where, trf("not a string (found {type})", fmt::arg("type", typeName(doms[i]))));
      }
    }
    if (top.contains("new_mail") && !top["new_mail"].is_null()) newMail(top["new_mail"]);
    if (top.contains("new_dns") && !top["new_dns"].is_null()) newDns(top["new_dns"]);
    if (top.contains("cutover") && !top["cutover"].is_null()) {
      std::string c = expectString(top["cutover"], "cutover"), err;
      if (!parseDate(c, &err)) bad("cutover", quoteForMessage(c) + " " + err);
      t_.cutover = c;
    }
  }

 private:
  void strictKeys(const json& obj, const std::string& where,
                  std::initializer_list<std::string_view> keys) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string& k = it.key();
      if (!k.empty() && (k[0] == '$' || k[0] == '_')) continue;
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        std::string known;
        for (auto x : keys) known += (known.empty() ? "" : ", ") + std::string(x);
        bad(join(where, k), trf("unknown key (known: {keys})", fmt::arg("keys", known)));
      }
    }
  }

  void subscriptions(const json& v) {
    if (v.is_null()) return;
    if (!v.is_array()) bad("subscriptions", trf("not an array (found {type})", fmt::arg("type", typeName(v))));
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::string where = index("subscriptions", i);
      const json& s = v[i];
      if (!s.is_object()) bad(where, trf("not an object (found {type})", fmt::arg("type", typeName(s))));
      strictKeys(s, where, {"name", "kind", "assigned_licenses", "cancel"});
      Subscription sub;
      if (s.contains("name")) sub.name = expectString(s["name"], join(where, "name"));
      sub.kind = s.contains("kind") ? expectString(s["kind"], join(where, "kind")) : "business";
      std::string kindLower = sub.kind;
      std::transform(kindLower.begin(), kindLower.end(), kindLower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (kindLower == "family" || kindLower == "personal" || kindLower == "consumer")
        bad(join(where, "kind"),
            trf("{value} is a consumer plan (Microsoft 365 Family or Personal). offboard plans the "
                "cancellation of Microsoft 365 for business subscriptions; a consumer plan has no "
                "admin center or tenant domains to migrate: cancel it from the Microsoft account "
                "that pays for it (Services & subscriptions at account.microsoft.com)",
                fmt::arg("value", quoteForMessage(sub.kind))));
      if (s.contains("assigned_licenses") && !s["assigned_licenses"].is_null()) {
        const json& n = s["assigned_licenses"];
        if (!n.is_number_integer() && !n.is_number_unsigned())
          bad(join(where, "assigned_licenses"),
              trf("not an integer (found {type})", fmt::arg("type", typeName(n))));
        if (n.is_number_integer() && !n.is_number_unsigned() && n.get<std::int64_t>() < 0)
          bad(join(where, "assigned_licenses"), tr("negative"));
        if (n.get<std::uint64_t>() > 10'000'000)
          bad(join(where, "assigned_licenses"), tr("larger than 10,000,000"));
        sub.assignedLicenses = static_cast<int>(n.get<std::uint64_t>());
      }
      if (s.contains("cancel") && !s["cancel"].is_null()) {
        if (!s["cancel"].is_boolean())
          bad(join(where, "cancel"), trf("not a boolean (found {type})", fmt::arg("type", typeName(s["cancel"]))));
        sub.cancel = s["cancel"].get<bool>();
      }
      t_.subscriptions.push_back(std::move(sub));
    }
  }

  void newMail(const json& v) {
    if (!v.is_object()) bad("new_mail", trf("not an object (found {type})", fmt::arg("type", typeName(v))));
    strictKeys(v, "new_mail", {"mx", "spf_include"});
    if (v.contains("mx") && !v["mx"].is_null()) {
      const json& mx = v["mx"];
      if (!mx.is_array()) bad("new_mail.mx", trf("not an array (found {type})", fmt::arg("type", typeName(mx))));
      for (std::size_t i = 0; i < mx.size(); ++i) {
        std::string where = index("new_mail.mx", i);
        MailTarget t;
        if (mx[i].is_string()) {
          std::string err;
          auto p = parseMailTarget(mx[i].get<std::string>(), &err);
          if (!p) bad(where, err);
          t = *p;
        } else if (mx[i].is_object()) {
          strictKeys(mx[i], where, {"host", "preference"});
          if (!mx[i].contains("host")) bad(where, tr("missing \"host\""));
          t.host = hostName(expectString(mx[i]["host"], join(where, "host")), join(where, "host"));
          if (mx[i].contains("preference") && !mx[i]["preference"].is_null()) {
            const json& p = mx[i]["preference"];
            if (!p.is_number_unsigned() || p.get<std::uint64_t>() > 65535)
              bad(join(where, "preference"), tr("not an integer between 0 and 65535"));
            t.preference = static_cast<std::uint16_t>(p.get<std::uint64_t>());
          }
        } else {
          bad(where, trf("not an object (found {type})", fmt::arg("type", typeName(mx[i]))));
        }
        t_.newMx.push_back(t);
      }
    }
    if (v.contains("spf_include") && !v["spf_include"].is_null())
      t_.newSpfInclude = hostName(expectString(v["spf_include"], "new_mail.spf_include"),
                                  "new_mail.spf_include");
  }

  void newDns(const json& v) {
    if (!v.is_object()) bad("new_dns", trf("not an object (found {type})", fmt::arg("type", typeName(v))));
    strictKeys(v, "new_dns", {"nameservers"});
    if (!v.contains("nameservers") || v["nameservers"].is_null()) return;
    const json& ns = v["nameservers"];
    if (!ns.is_array()) bad("new_dns.nameservers", trf("not an array (found {type})", fmt::arg("type", typeName(ns))));
    for (std::size_t i = 0; i < ns.size(); ++i) {
      std::string where = index("new_dns.nameservers", i);
      t_.newNameservers.push_back(hostName(expectString(ns[i], where), where));
    }
  }

  Tenant& t_;
  std::set<DnsName> seen_;
  std::optional<std::pair<DnsName, std::string>> initial_;
  std::optional<std::pair<DnsName, std::string>> default_;
};

// UTF-8 (BOM stripped) from UTF-8 or UTF-16 with a BOM (Windows PowerShell 5.1's `>` writes
// UTF-16LE). UTF-16 without a BOM is recognised by its NUL octets.
std::optional<std::string> toUtf8(std::string_view in, std::string* error) {
  auto u8 = [](std::string_view s) { return std::string(s); };
  if (in.size() >= 3 && static_cast<unsigned char>(in[0]) == 0xEF &&
      static_cast<unsigned char>(in[1]) == 0xBB && static_cast<unsigned char>(in[2]) == 0xBF)
    return u8(in.substr(3));
  bool le = false, be = false;
  std::size_t start = 0;
  if (in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0xFF && static_cast<unsigned char>(in[1]) == 0xFE) {
    le = true;
    start = 2;
  } else if (in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0xFE &&
             static_cast<unsigned char>(in[1]) == 0xFF) {
    be = true;
    start = 2;
  } else if (in.size() >= 2 && in[0] != 0 && in[1] == 0) {
    le = true;
  } else if (in.size() >= 2 && in[0] == 0 && in[1] != 0) {
    be = true;
  }
  if (!le && !be) return u8(in);
  if ((in.size() - start) % 2 != 0) {
    *error = tr("UTF-16 text with an odd number of bytes");
    return std::nullopt;
  }
  std::string out;
  auto unit = [&](std::size_t i) -> std::uint32_t {
    auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]);
    return le ? (a | (b << 8)) : ((a << 8) | b);
  };
  for (std::size_t i = start; i < in.size(); i += 2) {
    std::uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 3 >= in.size()) {
        *error = trf("UTF-16 text ends inside a surrogate pair (byte {byte})", fmt::arg("byte", i));
        return std::nullopt;
      }
      std::uint32_t lo = unit(i + 2);
      if (lo < 0xDC00 || lo > 0xDFFF) {
        *error = trf("invalid UTF-16 surrogate pair at byte {byte}", fmt::arg("byte", i));
        return std::nullopt;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      *error = trf("invalid UTF-16 (a lone low surrogate) at byte {byte}", fmt::arg("byte", i));
      return std::nullopt;
    }
    appendUtf8(out, cp);
  }
  return out;
}

// nlohmann's parser is iterative, but reading deeply nested values back is not worth the risk:
// a tenant file is never nested more than a few levels.
constexpr int kMaxDepth = 64;

std::optional<std::size_t> tooDeep(std::string_view text) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

std::string lineColumn(std::string_view text, std::size_t byte) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return trf("line {line}, column {column}", fmt::arg("line", line), fmt::arg("column", col));
}

// Control octets that came from the file (a key, a token nlohmann quotes) are shown as \DDD:
// an error message must not drive the operator's terminal.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// --- duplicate keys ----------------------------------------------------------------------------
// RFC 8259 §4: names within an object SHOULD be unique, and a reader's choice among duplicates
// is its own. nlohmann keeps the last one silently, so `"cancel": true, "cancel": false` would
// decide a cancellation without a word. Graph's keys are camelCase and Graph PowerShell's are
// PascalCase, and the importer looks keys up case-insensitively: `"id"` and `"Id"` in one object
// are the same key to it. nlohmann's SAX and callback interfaces report no positions, so this is
// a small scanner over text nlohmann has already accepted (the structure is known to be valid).

// The member name as nlohmann sees it: escapes decoded (so "\u0069d" is "id"). `at` is on the
// opening quote; on return it is just past the closing one.
std::string decodeJsonString(std::string_view text, std::size_t& at) {
  std::string out;
  auto hex4 = [&](std::size_t from) -> std::uint32_t {
    std::uint32_t v = 0;
    for (std::size_t k = from; k < from + 4 && k < text.size(); ++k) {
      char c = text[k];
      v = v * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
  };
  std::size_t i = at + 1;
  while (i < text.size() && text[i] != '"') {
    if (text[i] != '\\') {
      out += text[i++];
      continue;
    }
    char e = i + 1 < text.size() ? text[i + 1] : '\\';
    i += 2;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = hex4(i);
        i += 4;
        // nlohmann refused unpaired surrogates already: a high one is followed by \uDC00-DFFF.
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= text.size() && text[i] == '\\' &&
            text[i + 1] == 'u') {
          std::uint32_t lo = hex4(i + 2);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        }
        appendUtf8(out, cp);
        break;
      }
      default: out += e; break;  // \" \\ \/
    }
  }
  at = i + 1;
  return out;
}

// A key for a message: at most 80 octets, cut on a UTF-8 boundary (printable() escapes controls).
std::string shownKey(const std::string& key) {
  if (key.size() <= 80) return key;
  std::size_t cut = 80;
  while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;
  return key.substr(0, cut) + "…";
}

// The first member name that repeats an earlier one of its object (ASCII case folded), as an
// InputError whose `where` is the key path ("subscriptions[0].cancel") and whose `what` gives
// both lines. nullopt when every object's names are distinct.
std::optional<InputError> duplicateKey(std::string_view text) {
  struct Seen {
    std::string written;
    std::size_t line;
  };
  struct Frame {
    bool object;
    std::string path;                     // this container's path, as Reader writes paths
    std::map<std::string, Seen> keys;     // folded name → first spelling and its line
    std::string key;                      // the member whose value comes next
    std::size_t index = 0;                // the array element that comes next
  };
  std::vector<Frame> stack;
  auto childPath = [&]() -> std::string {
    if (stack.empty()) return "";
    const Frame& f = stack.back();
    return f.object ? join(f.path, shownKey(f.key)) : index(f.path, f.index);
  };
  std::size_t line = 1;
  bool expectKey = false;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    switch (c) {
      case '\n': ++line; ++i; break;
      case '{':
        stack.push_back(Frame{true, childPath(), {}, {}, 0});
        expectKey = true;
        ++i;
        break;
      case '[':
        stack.push_back(Frame{false, childPath(), {}, {}, 0});
        expectKey = false;
        ++i;
        break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();  // the text was parsed first; stay safe anyway
        expectKey = false;
        ++i;
        break;
      case ',':
        if (!stack.empty() && stack.back().object) expectKey = true;
        else if (!stack.empty()) ++stack.back().index;
        ++i;
        break;
      case '"': {
        std::string s = decodeJsonString(text, i);
        if (!expectKey || stack.empty() || !stack.back().object) break;
        expectKey = false;
        Frame& f = stack.back();
        std::string folded = s;
        for (auto& ch : folded) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto [it, fresh] = f.keys.emplace(std::move(folded), Seen{s, line});
        f.key = s;
        if (fresh) continue;
        const Seen& first = it->second;
        std::string what =
            first.written == s
                ? trf("the key appears twice in one object (lines {first} and {second})",
                      fmt::arg("first", first.line), fmt::arg("second", line))
                : trf("the key appears twice in one object, as {key} (line {first}) and {other} (line "
                      "{second}); keys that differ only in case are one key (Graph writes camelCase, "
                      "Graph PowerShell PascalCase)",
                      fmt::arg("key", quoteForMessage(first.written)), fmt::arg("first", first.line),
                      fmt::arg("other", quoteForMessage(s)), fmt::arg("second", line));
        what += tr(". JSON does not say which one counts (RFC 8259 §4) and readers differ: keep one");
        return InputError{join(f.path, shownKey(s)), what};
      }
      default: ++i; break;  // ':', blanks, numbers, true/false/null
    }
  }
  return std::nullopt;
}

std::optional<json> parseJson(std::string_view bytes, std::string* text, std::string* error) {
  std::string err;
  auto utf8 = toUtf8(bytes, &err);
  if (!utf8) {
    *error = err;
    return std::nullopt;
  }
  *text = std::move(*utf8);
  // A raw NUL is never JSON text (RFC 8259 §7: control characters are escaped inside strings,
  // and none may stand outside them), and nlohmann stops reading at one: the rest of the file,
  // a second document included, would be silently ignored.
  if (auto nul = text->find('\0'); nul != std::string::npos) {
    *error = trf("a NUL octet at byte {byte} ({position}): not JSON text", fmt::arg("byte", nul + 1),
                 fmt::arg("position", lineColumn(*text, nul)));
    return std::nullopt;
  }
  if (auto at = tooDeep(*text)) {
    *error = trf("nested more than {max} levels deep at byte {byte} ({position})", fmt::arg("max", kMaxDepth),
                 fmt::arg("byte", *at + 1), fmt::arg("position", lineColumn(*text, *at)));
    return std::nullopt;
  }
  try {
    json doc = json::parse(*text);
    if (auto dup = duplicateKey(*text)) {
      *error = printable(dup->where + ": " + dup->what);
      return std::nullopt;
    }
    return doc;
  } catch (const json::parse_error& e) {
    // e.byte is 1-based: the position just after the offending character.
    std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) {
      if (auto colon = what.find(": ", p); colon != std::string::npos) what = what.substr(colon + 2);
    }
    *error = trf("not valid JSON at byte {byte} ({position}): {reason}", fmt::arg("byte", e.byte),
                 fmt::arg("position", lineColumn(*text, at)), fmt::arg("reason", printable(what)));
    return std::nullopt;
  } catch (const json::out_of_range& e) {
    // A number no double can hold ("1e400", nlohmann error 406). Its message quotes the token
    // but carries no position: find the token to name one.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    std::size_t q1 = what.find('\''), q2 = what.rfind('\'');
    std::size_t at = q1 != std::string::npos && q2 > q1
                         ? text->find(what.substr(q1 + 1, q2 - q1 - 1))
                         : std::string::npos;
    *error = at == std::string::npos
                 ? trf("not valid JSON: {reason}", fmt::arg("reason", what))
                 : trf("not valid JSON at byte {byte} ({position}): {reason}", fmt::arg("byte", at + 1),
                       fmt::arg("position", lineColumn(*text, at)), fmt::arg("reason", what));
    return std::nullopt;
  }
}

std::string located(const std::string& file, const InputError& e) {
  return file + ": " + printable((e.where.empty() ? "" : e.where + ": ") + e.what);
}

}  // namespace

std::optional<Tenant> parseTenant(std::string_view bytes, const std::string& file,
                                  std::string* error) {
  std::string text, err;
  auto doc = parseJson(bytes, &text, &err);
  if (!doc) {
    *error = file + ": " + err;
    return std::nullopt;
  }
  Tenant t;
  t.file = file;
  Reader r(t);
  try {
    const json& top = *doc;
    if (top.is_array()) {
      auto items = collection(top, "");
      if (!items.empty() && looksLikeRecord(*items.front().first)) r.records(top);
      else r.graphList(items);
    } else if (top.is_object()) {
      std::string w;
      const json* value = member(top, "value", &w);
      if (value && value->is_array()) {
        auto items = collection(top, "");
        if (!items.empty() && looksLikeReference(*items.front().first))
          bad("", tr("a domainNameReferences list (the objects that still use one domain); it does "
                     "not say which domain. Embed it in that domain's object as "
                     "\"domainNameReferences\": [...] in a GET /domains export"));
        if (!items.empty() && looksLikeRecord(*items.front().first)) r.records(top);
        else r.graphList(items);
      } else if (top.contains("domains") || top.contains("tenant") || top.contains("subscriptions")) {
        r.ownFile(top);
      } else if (member(top, "id") || member(top, "name")) {
        // The same keys graphDomain() takes inside {"value": [...]}: a lone object keyed
        // "name" was refused here while its twin in a list was read.
        r.graphDomain(top, "");
        t.source = TenantSource::GraphSingle;
      } else if (member(top, "disableUserAccounts")) {
        bad("", tr("a Graph forceDelete request body, not a list of domains (export GET /domains, or "
                   "Get-MgDomain | ConvertTo-Json -Depth 5)"));
      } else {
        bad("", tr("neither an offboard tenant file ({\"tenant\", \"domains\", …}) nor a Microsoft "
                   "Graph domain export ({\"value\": [...]}, a domain object, or a PowerShell array)"));
      }
    } else {
      bad("", trf("the top level is {type}; expected a tenant object or a Graph domain export",
                  fmt::arg("type", typeName(top))));
    }
    // The state binds to the tenant's identity, and the planner names the tenant by t.name: a
    // Graph export says it through its initial domain (the own file through "tenant").
    if (t.name.empty() && t.source != TenantSource::OwnFile && r.initialDomain())
      t.name = r.initialDomain()->first.toStringNoDot();
  } catch (const InputError& e) {
    *error = located(file, e);
    return std::nullopt;
  }
  return t;
}

std::optional<std::vector<DnsName>> parseServiceConfigurationMx(std::string_view bytes,
                                                                std::string* error) {
  std::string text, err;
  auto doc = parseJson(bytes, &text, &err);
  if (!doc) {
    *error = err;
    return std::nullopt;
  }
  try {
    return readRecords(*doc, "").mx;
  } catch (const InputError& e) {
    *error = printable((e.where.empty() ? "" : e.where + ": ") + e.what);
    return std::nullopt;
  }
}

std::optional<std::vector<std::string>> parseDomainNameReferences(std::string_view bytes,
                                                                  std::string* error) {
  std::string text, err;
  auto doc = parseJson(bytes, &text, &err);
  if (!doc) {
    *error = err;
    return std::nullopt;
  }
  try {
    return readReferences(*doc, "");
  } catch (const InputError& e) {
    *error = printable((e.where.empty() ? "" : e.where + ": ") + e.what);
    return std::nullopt;
  }
}

bool isInitialDomainName(const DnsName& name) {
  // Microsoft: ".onmicrosoft.com domains" cannot be removed (and the 21Vianet
  // ".partner.onmschina.cn", GCC High ".onmicrosoft.us", legacy Germany ".onmicrosoft.de").
  static constexpr std::array<std::string_view, 4> kInitial{
      "onmicrosoft.com", "onmicrosoft.us", "onmicrosoft.de", "partner.onmschina.cn"};
  for (auto s : kInitial)
    if (auto z = DnsName::parse(s); z && name.isPartOf(*z) && name != *z) return true;
  return false;
}

std::optional<MailTarget> parseMailTarget(std::string_view text, std::string* error) {
  MailTarget t;
  std::string_view host = text;
  if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    std::string_view pref = text.substr(colon + 1);
    host = text.substr(0, colon);
    if (pref.empty() || pref.size() > 5 ||
        !std::all_of(pref.begin(), pref.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(std::string(pref)) > 65535) {
      *error = trf("{value}: the preference after ':' must be an integer 0..65535", fmt::arg("value", quoteForMessage(text)));
      return std::nullopt;
    }
    t.preference = static_cast<std::uint16_t>(std::stoul(std::string(pref)));
  }
  std::string err;
  auto n = DnsName::parse(host, &err);
  if (!n || n->labelCount() < 2) {
    *error = trf("{value} is not a host name", fmt::arg("value", quoteForMessage(text))) + (err.empty() ? "" : ": " + err);
    return std::nullopt;
  }
  t.host = *n;
  return t;
}

std::optional<Cloud> cloudFromName(std::string_view name) {
  for (Cloud c : {Cloud::Worldwide, Cloud::UsGov, Cloud::China21Vianet, Cloud::Germany})
    if (cloudName(c) == name) return c;
  return std::nullopt;
}

}  // namespace offboard
