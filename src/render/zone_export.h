// `plan --format zone`: the records to create at the new DNS host, as RFC 1035 zone files that
// DNS hosts import (SPEC §4).
//
// What it is for: for each domain whose zone Microsoft hosts (the plan has a
// prepare-new-dns-host:D step for it), one master file (RFC 1035 §5): $ORIGIN and $TTL, an SOA
// and the NS of the new DNS host (the switch-ns:D step's nameservers; when the plan names
// none, placeholder names under .invalid (RFC 6761), marked PLACEHOLDER in a comment), then
// every record the step creates: the new MX, the SPF without Microsoft's include, and every
// non-Microsoft record of the current zone. Microsoft 365's records are not in it: they are
// the ones being left behind. What the plan cannot give as a record (the new MX when
// new_mail.mx is not known; the rest of a zone offboard could not list) is a comment in the
// words of render/step_text, so the file stays valid and nothing is made up.
// What it must not do: decide which records are needed (the planner did), read the clock
// (the SOA serial comes from the plan's "now"), or let a control octet break a line.
#pragma once

#include <string>
#include <vector>

#include "core/dns_name.h"
#include "plan/plan_types.h"

namespace offboard {

struct ZoneExport {
  DnsName origin;           // the zone (the domain's A-label)
  std::string text;         // the whole master file, first line "; zone ORIGIN" (no dot)
};

// One zone file per domain with a prepare-new-dns-host step, in plan order.
std::vector<ZoneExport> zoneExports(const Plan& plan);

// Every zone of zoneExports, one after the other, each opened by its "; zone D" line and
// separated by a blank line (split on that line to get one file per zone). With no zone to
// write: a single comment line saying so.
std::string renderZoneExport(const Plan& plan);

}  // namespace offboard
