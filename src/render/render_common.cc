#include "render/render_common.h"

#include "core/i18n.h"

namespace offboard {

std::string dumpJson(const ojson& j) {
  // Invalid UTF-8 from a state file or a zone is replaced, never a throw mid-render.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string joinWith(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Who was asked, without the rehearsal note.
std::string evidenceWhere(const EvidenceInfo& e) {
  const std::string who = joinWith(e.servers, ", ");
  const auto servers = fmt::arg("servers", who);
  switch (e.source) {
    case EvidenceSource::Zones: return who.empty() ? tr("zone files") : trf("zone files in {servers}", servers);
    case EvidenceSource::Resolver:
      return e.servers.size() == 1 ? trf("recursive resolver {servers}", servers)
             : who.empty()         ? tr("recursive resolvers (none named)")
                                   : trf("recursive resolvers {servers}", servers);
    case EvidenceSource::SystemResolver:
      return e.servers.size() == 1 ? trf("system resolver {servers}", servers)
             : who.empty()         ? tr("the system's resolvers")
                                   : trf("system resolvers {servers}", servers);
    case EvidenceSource::Authoritative:
      return who.empty() ? tr("authoritative servers, walked from the root")
                         : trf("authoritative servers, walked from the root ({servers})", servers);
  }
  return "";
}

// SPEC §4 "evidence": the same three keys in plan and gate JSON and in SARIF's property bag.
ojson evidenceJson(const EvidenceInfo& e) {
  ojson o;
  o["source"] = std::string(evidenceSourceName(e.source));
  o["servers"] = ojson::array();
  for (const auto& s : e.servers) o["servers"].push_back(s);
  o["live"] = e.live;
  return o;
}

std::string evidenceText(const EvidenceInfo& e) {
  if (e.live) return evidenceWhere(e);
  return trf("{where} (offline rehearsal: nothing live was asked)", fmt::arg("where", evidenceWhere(e)));
}

std::string rehearsalWarning(const EvidenceInfo& e) {
  if (e.live) return "";
  return e.source == EvidenceSource::Zones ? tr("offline rehearsal on zone files: not evidence that live DNS is ready")
                                           : tr("offline rehearsal: not evidence that live DNS is ready");
}

}  // namespace offboard
