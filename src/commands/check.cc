#include <CLI/CLI.hpp>

#include <ostream>

#include "commands/commands.h"
#include "core/i18n.h"
#include "engine/check_engine.h"
#include "render/check_render.h"
#include "render/report_json.h"

namespace offboard {

int runCheck(const CheckOptions& o, const std::vector<DomainInput>& domains, Resolver& resolver,
             Io& io, PolicyFetcher* policies) {
  std::vector<DomainJob> jobs;
  jobs.reserve(domains.size());
  for (const auto& d : domains) jobs.push_back(DomainJob{d, {}});
  std::vector<DomainReport> reports = checkAll(resolver, jobs, policies);
  if (o.format == "json") {
    io.out << renderCheckJson(reports);
  } else if (o.format == "markdown") {
    io.out << renderCheckMarkdown(reports);
  } else {
    io.out << renderCheckText(reports, textStyle(o.color, io.outIsTerminal, false));
  }
  return exitForVerdict(overallVerdict(reports));
}

Runner setupCheck(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", tr("DNS diagnostics: list every record of each DOMAIN that still points at Microsoft 365"));
  cmd->footer(
      tr("What it asks, per domain: NS (and the parent's delegation when the source sees it), MX\n"
      "(each exchange followed through CNAMEs), TXT (SPF, MS=ms verification), and the CNAME/SRV\n"
      "names Microsoft 365 asks for: autodiscover, selector1/selector2._domainkey, msoid, sip,\n"
      "lyncdiscover, _sip._tls, _sipfederationtls._tcp, enterpriseregistration,\n"
      "enterpriseenrollment. Every cloud: worldwide, us-gov (GCC High/DoD), 21vianet, germany.\n"
      "A lookup that fails (timeout, SERVFAIL, REFUSED, malformed) is a lookup-failed finding and\n"
      "never read as \"absent\": the domain is then indeterminate unless something else blocks.\n"
      "\n"
      "Examples:\n"
      "  offboard check contoso.com fabrikam.com\n"
      "  offboard check contoso.com --resolver 127.0.0.53 --format json\n"
      "  offboard check contoso.com --zones fixtures/zones\n"
      "Exit: 0 clear, 1 something points at Microsoft 365, 2 usage error,\n"
      "      3 indeterminate (a lookup failed and nothing definite blocks), 4 internal error."));
  cmd->add_option("domains", o->domains, tr("Domains to check (U-labels or A-labels)"))->required();
  addSourceOptions(*cmd, o->source);
  cmd->add_option("--format", o->format, tr("Output format"))
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  cmd->add_option("--color", o->color, tr("Colour in text output"))
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    std::vector<DomainInput> domains;
    if (!parseDomainArgs(o->domains, domains, io.err)) return kExitUsage;
    ResolverBuild rb = makeResolver(o->source);
    if (!rb.resolver) {
      io.err << "offboard check: " << rb.error << "\n";
      return rb.exitCode;
    }
    return runCheck(*o, domains, *rb.resolver, io, rb.policies.get());
  };
}

}  // namespace offboard
