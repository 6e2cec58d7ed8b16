// The tenant: which custom domains leave Microsoft 365, which subscriptions are cancelled, and
// where mail and DNS go next — read from the tool's own tenant file or a Microsoft Graph export.
//
// What it is for: one tolerant, exact importer (SPEC §4). It accepts
//   - the tool's own tenant file (`{"tenant", "cloud", "subscriptions", "domains", "new_mail",
//     "new_dns", "cutover"}`), read strictly: an unknown key is a typo, not a field;
//   - Graph `GET /domains` (`{"value": [domain…]}`), a single domain object (`GET /domains/{id}`),
//     and Microsoft Graph PowerShell `Get-MgDomain | ConvertTo-Json` (PascalCase keys, a bare
//     array or a single object, UTF-16 with a BOM when Windows PowerShell 5.1 redirected it),
//     read tolerantly: unknown keys, missing `@odata.type`, the beta typo `supportedServices` on a
//     record, `include: spf…` with a space;
//   - a domain object may carry `serviceConfigurationRecords` (an exact `mailExchange` becomes
//     CheckContext.knownMicrosoftMx: m365-dns.md §2.2 says copy, never derive, the MX host) and
//     `domainNameReferences` (empty ⇒ nothing blocks the domain's removal; Graph domain-delete);
//     and `authenticationType`, `isDefault` and `state` (a force delete scheduled, running or
//     failed), the blockers of a domain's removal the planner turns into steps;
//   - a bare `serviceConfigurationRecords` / `verificationDnsRecords` collection (the domain is
//     the MX record's label).
// Initial domains (`*.onmicrosoft.com`, `*.partner.onmschina.cn`, and the `.us`/`.de` initial
// suffixes) cannot be removed from a tenant (Microsoft: "Remove a domain") and are skipped; the
// name decides, so `isInitial` on any other name is noted and the domain offboarded. A Graph
// export's `isInitial` initial domain names the tenant (Tenant::name) when nothing else does.
// Inputs are not trusted further than they say: a key repeated in one object (also in another
// case: `id` and `Id`) is refused with both lines, since JSON leaves the choice to the reader;
// one page of a paged Graph collection (`@odata.nextLink`) is refused, since a domain on a later
// page would look removed.
// Consumer plans (Family, Personal) are refused: they have no admin center or custom domains.
// What it must not do: read files or the network (the caller hands it the bytes), guess a
// domain's MX host, or crash on a wrong type: every error names the file and the JSON position
// or key path ("domains[2]: not a string").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain_input.h"
#include "core/types.h"

namespace offboard {

struct Subscription {
  std::string name;
  std::string kind;                   // "business", "enterprise", … (consumer kinds are refused)
  std::optional<int> assignedLicenses;
  bool cancel = true;                 // false: this subscription stays active
};

// One MX target at the new mail provider.
struct MailTarget {
  DnsName host;
  std::uint16_t preference = 10;
};

struct TenantDomain {
  DomainInput input;
  // Graph isAdminManaged: false means "DNS record management … delegated to Microsoft 365"
  // (the zone is hosted by Microsoft); nullopt when the source does not say.
  std::optional<bool> adminManaged;
  bool isDefault = false;             // Graph isDefault (Tenant::defaultDomain names it too)
  std::optional<bool> verified;
  // Graph authenticationType as exported ("Managed", "Federated", or anything else Graph may
  // say), blanks trimmed; nullopt when not exported. "Federated" (AD FS, another identity
  // provider, or a reseller such as GoDaddy) adds defederate-domain:D: a federated domain cannot
  // be removed. Any value other than Managed is never read as "not federated".
  std::optional<std::string> authenticationType;
  // Graph state (domainState): the last asynchronous operation on the domain. Only a
  // "ForceDelete" is kept (a "Verification" says nothing about removal).
  struct ForceDelete {
    std::string status;                    // "Scheduled", "InProgress", "Failed", or as exported
    std::optional<std::int64_t> lastAction;  // state.lastActionDateTime; nullopt: absent or unreadable
  };
  std::optional<ForceDelete> forceDelete;
  // Exact MX hosts from serviceConfigurationRecords.
  std::vector<DnsName> knownMicrosoftMx;
  // domainNameReferences when exported (display names or UPNs); nullopt when not exported.
  std::optional<std::vector<std::string>> references;
  // Graph supportedServices as exported ("Email", "OfficeCommunicationsOnline", "Intune", …);
  // nullopt when the source does not say. A service missing from an exported list was never
  // set up for Microsoft 365 (SPEC §4's first-sight rule uses it).
  std::optional<std::vector<std::string>> supportedServices;
};

enum class TenantSource {
  OwnFile,       // the tool's tenant file
  GraphList,     // {"value": [domain…]} or a PowerShell array: a full list of the tenant's domains
  GraphSingle,   // one domain object
  GraphRecords,  // a bare DNS-record collection
  Arguments,     // DOMAIN arguments on the command line
};

struct Tenant {
  std::string file;                  // where it came from (for messages); empty for arguments
  TenantSource source = TenantSource::Arguments;
  // "contoso.onmicrosoft.com": the own file's "tenant", or a Graph export's initial domain;
  // may be empty.
  std::string name;
  std::optional<Cloud> cloud;        // as the tenant file says; nullopt: infer from DNS
  std::vector<Subscription> subscriptions;
  std::vector<TenantDomain> domains; // custom domains to offboard, input order, no duplicates
  // The domain a Graph export (or a domain object of the own file) marks isDefault, initial
  // domains included (they are skipped from `domains`); nullopt when none is marked. At most one:
  // two different domains marked isDefault are an input error.
  std::optional<DnsName> defaultDomain;
  // Notes on entries left out (initial domains, duplicates) and marks set aside (isInitial on a
  // name that is not an initial domain's); the planner shows each as "Skipped NOTE."
  std::vector<std::string> skipped;
  std::vector<MailTarget> newMx;
  std::optional<DnsName> newSpfInclude;
  std::vector<DnsName> newNameservers;
  std::optional<std::string> cutover;  // YYYY-MM-DD as written (validated)
};

// Parses `bytes` (the whole file; UTF-8 with or without BOM, or UTF-16 with a BOM). `file` is
// used in messages only. nullopt with *error = "FILE: where: what" on any input error (also a
// duplicate key, "FILE: subscriptions[0].cancel: … (lines 4 and 5) …", and one page of a
// paged Graph export).
std::optional<Tenant> parseTenant(std::string_view bytes, const std::string& file,
                                  std::string* error);

// The exact Microsoft MX hosts named by a serviceConfigurationRecords collection (an array, or
// {"value": [...]}, camelCase or PascalCase, typed properties possibly under
// AdditionalProperties). `where` prefixes messages. nullopt with *error on a wrong type.
std::optional<std::vector<DnsName>> parseServiceConfigurationMx(std::string_view json,
                                                                std::string* error);

// The objects a domainNameReferences collection lists (displayName / userPrincipalName / id).
std::optional<std::vector<std::string>> parseDomainNameReferences(std::string_view json,
                                                                  std::string* error);

// True for the initial/routing domains a tenant can never remove.
bool isInitialDomainName(const DnsName& name);

// Parses "HOST[:PREF]" (--new-mx). Preference defaults to 10.
std::optional<MailTarget> parseMailTarget(std::string_view text, std::string* error);

// "worldwide", "us-gov", "21vianet", "germany" → Cloud; nullopt otherwise.
std::optional<Cloud> cloudFromName(std::string_view name);

}  // namespace offboard
