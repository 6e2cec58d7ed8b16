#!/usr/bin/env bash
# bench/gen_world.sh N OUTDIR [TLD]: a synthetic world of N tenant-like zones for `offboard scan`.
#
# Writes, under OUTDIR:
#   zones/tNNNNNN.TLD.zone   one small zone per tenant domain (SOA, NS, MX, TXT, CNAME, SRV)
#   zones/providerP.TLD.zone the zones of the 4 shared mail providers (P = 1..4) the tenants use
#   nsd-zones.conf           the matching NSD "zone:" entries (include it from nsd.conf), the
#                            providers' first, so that the last tenant zone is the last loaded
#   domains.txt              the N domains, one a line (the scan input)
#   queries.txt              exactly the questions `offboard scan` asks for those domains in its
#                            default mode (shared answers on, one thread), in dnsperf's
#                            "NAME TYPE" format: the 16 first-round questions of
#                            checks/questionsFor (NS, MX, TXT, the 11 probe names, DS, _mta-sts
#                            TXT), then the follow-ups of checks/followUps: one CNAME question per
#                            hop of each MX exchange that is not Microsoft's and of each probe
#                            CNAME chain, one TXT question per SPF include: target. A follow-up at
#                            a provider is listed once, for the first domain that needs it (the
#                            shared answer cache, src/engine/answer_cache.h, holds it for its TTL);
#                            one under the tenant's own domain, for that domain.
#   queries-unshared.txt     the same with every domain's follow-ups repeated: what
#                            `offboard scan --no-shared-answers` asks
#   expected.tsv             DOMAIN<TAB>KIND<TAB>VERDICT the generator intends (a sanity check)
#
# Why one zone per tenant: a tenant domain is a zone apex with its own SOA and NS, as in real
# life (NS at Microsoft is one of the findings); NSD 4.6 loads 100,000 such zones in about 5 s
# on this machine, so nothing is gained by folding them into a few large zones (which would
# also turn each tenant's NS set into a delegation that NSD answers with referrals).
#
# The providers: as real tenants do, most domains that left Microsoft's mail use one of a few
# shared providers. Provider P's zone providerP.TLD has the MX hosts mx1 and mx2 (A records),
# the SPF record _spf ("v=spf1 ip4:… include:_spf2.providerP.TLD ~all", a 2-hop chain to the
# second record _spf2) and the autodiscover host autodiscover, a CNAME to its mail host (A). A
# domain's provider is chosen by (i * 37) mod 100: provider1 below 40, provider2 below 70,
# provider3 below 90, provider4 above (40/30/20/10 %, as a market with one large provider).
# Every provider record has a TTL of 3600 s and the SOA's negative TTL is 3600 s too (the
# NODATA answers to "mx1.providerP CNAME" are shared as well), so no shared answer expires
# during a benchmark and queries.txt stays exact.
#
# The mix, by i mod 20 (deterministic, so every run and every tool sees the same world):
#   0      ms-hosted: NS at Microsoft (ns1.bdm.microsoftonline.com) and everything at Microsoft
#   1-5    ms: everything at Microsoft: MX, SPF include, MS= TXT, autodiscover, DKIM, Teams, MDM
#   6-11   clean, at a provider: MX mx1/mx2.providerP, SPF include:_spf.providerP, autodiscover
#          CNAME autodiscover.providerP (6 follow-ups, every one shared)
#   12     clean, self-hosted: own MX pair, autodiscover at the own mail host, SPF "mx" plus a
#          provider's include:_spf.providerP (a bulk sender; 3 own follow-ups, 2 shared)
#   13-16  half done: MX at a provider (mx1/mx2.providerP, 2 shared follow-ups), but SPF,
#          autodiscover and a DKIM selector still at Microsoft
#   17     mx-cname: clean, MX exchange is an own name that is a CNAME to the provider's mx1 (two
#          hops: the own name, then the shared host), SPF include:_spf.providerP
#   18     parked: no MX, only a leftover MS= verification TXT
#   19     mx-cname-ms: MX exchange is an own name that is a CNAME to Microsoft's mail host; SPF
#          already at a provider (include:_spf.providerP)
# So 13 domains in 20 (65 %) name a provider. Per domain offboard asks 16 first-round questions;
# without shared answers 2.8 follow-ups on average (18.8 in all), with them 0.25 of the tenants'
# own plus at most 24 provider questions per run (16.25 per domain and a little more).
# Every name is under TLD (default "test", reserved by RFC 2606); A records hold 127.0.0.x only.
set -euo pipefail

n=${1:?usage: gen_world.sh N OUTDIR [TLD]}
out=${2:?usage: gen_world.sh N OUTDIR [TLD]}
tld=${3:-test}
[[ $n =~ ^[0-9]+$ ]] || { echo "gen_world: N must be a number" >&2; exit 2; }
[[ $tld =~ ^[a-z0-9-]+$ ]] || { echo "gen_world: TLD must be one lowercase label" >&2; exit 2; }

mkdir -p "$out/zones"
out=$(cd "$out" && pwd)
find "$out/zones" -name '*.zone' -delete

awk -v n="$n" -v out="$out" -v tld="$tld" '
# A first-round question: the domain'"'"'s own, in both lists.
function q(name, type) { printf "%s %s\n", name, type > queries; printf "%s %s\n", name, type > unshared }
# A follow-up: in queries.txt once per run when it is a provider'"'"'s (shared), every time in
# queries-unshared.txt.
function fu(name, type) {
  printf "%s %s\n", name, type > unshared
  if (name ~ /\.provider[0-9]+\./) { if ((name " " type) in seen) return; seen[name " " type] = 1 }
  printf "%s %s\n", name, type > queries
}
# The follow-ups of an MX exchange at provider p (not a CNAME: one question).
function mxAt(p) { fu("mx1." p, "CNAME"); fu("mx2." p, "CNAME") }
# The follow-ups of include:_spf.P: its record, then the record it includes.
function spfAt(p) { fu("_spf." p, "TXT"); fu("_spf2." p, "TXT") }
BEGIN {
  queries = out "/queries.txt"; unshared = out "/queries-unshared.txt"
  conf = out "/nsd-zones.conf"; doms = out "/domains.txt"; expf = out "/expected.tsv"
  printf "" > queries; printf "" > unshared; printf "" > conf; printf "" > doms; printf "" > expf
  nprov = 4
  for (p = 1; p <= nprov; p++) {
    z = sprintf("provider%d.%s", p, tld)
    f = out "/zones/" z ".zone"
    printf "$ORIGIN %s.\n$TTL 3600\n", z > f
    printf "@ 3600 SOA ns1 hostmaster 2024000001 3600 600 86400 3600\n" > f
    printf "@ NS ns1\n@ NS ns2\nns1 A 127.0.0.%d\nns2 A 127.0.0.%d\n", 200 + p, 210 + p > f
    printf "mx1 A 127.0.0.%d\nmx2 A 127.0.0.%d\nmail A 127.0.0.%d\n", 220 + p, 230 + p, 240 + p > f
    printf "_spf TXT \"v=spf1 ip4:127.0.%d.0/24 include:_spf2.%s ~all\"\n", p, z > f
    printf "_spf2 TXT \"v=spf1 ip4:127.0.%d.0/24 -all\"\n", 10 + p > f
    printf "autodiscover CNAME mail\n" > f
    close(f)
    printf "zone:\n    name: \"%s.\"\n    zonefile: \"%s\"\n", z, f > conf
  }
  for (i = 0; i < n; i++) {
    d = sprintf("t%06d.%s", i, tld)
    label = sprintf("t%06d-%s", i, tld)
    f = out "/zones/" d ".zone"
    k = i % 20
    h = (i * 37) % 100
    p = sprintf("provider%d.%s", h < 40 ? 1 : h < 70 ? 2 : h < 90 ? 3 : 4, tld)
    printf "$ORIGIN %s.\n$TTL 3600\n", d > f
    printf "@ 3600 SOA ns1 hostmaster %d 3600 600 86400 300\n", 2024000000 + i > f
    if (k == 0) {
      printf "@ 172800 NS ns1.bdm.microsoftonline.com.\n@ 172800 NS ns2.bdm.microsoftonline.com.\n" > f
    } else {
      printf "@ 86400 NS ns1\n@ 86400 NS ns2\n" > f
    }
    printf "ns1 A 127.0.0.%d\nns2 A 127.0.0.%d\n", 1 + i % 200, 2 + i % 200 > f
    ms = (k <= 5); half = (k >= 13 && k <= 16)
    if (ms) {
      printf "@ MX 0 %s.mail.protection.outlook.com.\n", label > f
      printf "@ TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n" > f
      printf "@ TXT \"MS=ms%08d\"\n", i > f
      printf "autodiscover CNAME autodiscover.outlook.com.\n" > f
      printf "selector1._domainkey CNAME selector1-%s._domainkey.tenant%d.onmicrosoft.com.\n", label, i > f
      printf "selector2._domainkey CNAME selector2-%s._domainkey.tenant%d.onmicrosoft.com.\n", label, i > f
      printf "sip CNAME sipdir.online.lync.com.\nlyncdiscover CNAME webdir.online.lync.com.\n" > f
      printf "_sip._tls SRV 100 1 443 sipdir.online.lync.com.\n" > f
      printf "_sipfederationtls._tcp SRV 100 1 5061 sipfed.online.lync.com.\n" > f
      printf "enterpriseregistration CNAME enterpriseregistration.windows.net.\n" > f
      printf "enterpriseenrollment CNAME enterpriseenrollment.manage.microsoft.com.\n" > f
      kind = (k == 0) ? "ms-hosted" : "ms"; verdict = "points-at-m365"
    } else if (k <= 11) {
      printf "@ MX 10 mx1.%s.\n@ MX 20 mx2.%s.\n", p, p > f
      printf "@ TXT \"v=spf1 include:_spf.%s -all\"\n", p > f
      printf "autodiscover CNAME autodiscover.%s.\n", p > f
      kind = "clean"; verdict = "clear"
    } else if (k == 12) {
      printf "@ MX 10 mx1\n@ MX 20 mx2\n" > f
      printf "mx1 A 127.0.0.%d\nmx2 A 127.0.0.%d\nmail A 127.0.0.%d\n", 3 + i % 200, 3 + i % 200, 4 + i % 200 > f
      printf "@ TXT \"v=spf1 mx include:_spf.%s -all\"\n", p > f
      printf "autodiscover CNAME mail\n" > f
      kind = "clean"; verdict = "clear"
    } else if (half) {
      printf "@ MX 10 mx1.%s.\n@ MX 20 mx2.%s.\n", p, p > f
      printf "@ TXT \"v=spf1 mx include:spf.protection.outlook.com ~all\"\n" > f
      printf "autodiscover CNAME autodiscover.outlook.com.\n" > f
      printf "selector1._domainkey CNAME selector1-%s._domainkey.tenant%d.onmicrosoft.com.\n", label, i > f
      kind = "half"; verdict = "points-at-m365"
    } else if (k == 17) {
      printf "@ MX 10 mail\nmail CNAME mx1.%s.\n", p > f
      printf "@ TXT \"v=spf1 include:_spf.%s -all\"\n", p > f
      kind = "mx-cname"; verdict = "clear"
    } else if (k == 18) {
      printf "@ TXT \"MS=ms%08d\"\n", i > f
      kind = "parked"; verdict = "points-at-m365"
    } else {
      printf "@ MX 10 mail\nmail CNAME %s.mail.protection.outlook.com.\n", label > f
      printf "@ TXT \"v=spf1 include:_spf.%s -all\"\n", p > f
      kind = "mx-cname-ms"; verdict = "points-at-m365"
    }
    close(f)
    printf "zone:\n    name: \"%s.\"\n    zonefile: \"%s\"\n", d, f > conf
    print d > doms
    printf "%s\t%s\t%s\n", d, kind, verdict > expf
    # The questions of checks/questionsFor, in its order.
    q(d, "NS"); q(d, "MX"); q(d, "TXT")
    q("autodiscover." d, "CNAME"); q("selector1._domainkey." d, "CNAME")
    q("selector2._domainkey." d, "CNAME"); q("msoid." d, "CNAME"); q("sip." d, "CNAME")
    q("lyncdiscover." d, "CNAME"); q("_sip._tls." d, "SRV"); q("_sipfederationtls._tcp." d, "SRV")
    q("enterpriseregistration." d, "CNAME"); q("enterpriseenrollment." d, "CNAME")
    q("_autodiscover._tcp." d, "SRV"); q(d, "DS"); q("_mta-sts." d, "TXT")
    # checks/followUps: each exchange that is not Microsoft'"'"'s, one CNAME question per hop;
    # each SPF include: target that is not Microsoft'"'"'s, one TXT question per record; each
    # probe CNAME target that is not Microsoft'"'"'s, one CNAME question per hop.
    if (kind == "clean" && k <= 11) {
      mxAt(p); spfAt(p); fu("autodiscover." p, "CNAME"); fu("mail." p, "CNAME")
    } else if (kind == "clean") {
      fu("mx1." d, "CNAME"); fu("mx2." d, "CNAME"); spfAt(p); fu("mail." d, "CNAME")  # autodiscover -> mail
    } else if (kind == "half") {
      mxAt(p)
    } else if (kind == "mx-cname") {
      fu("mail." d, "CNAME"); fu("mx1." p, "CNAME"); spfAt(p)
    } else if (kind == "mx-cname-ms") {
      fu("mail." d, "CNAME"); spfAt(p)
    }
  }
}'
