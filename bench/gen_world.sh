#!/usr/bin/env bash
# bench/gen_world.sh N OUTDIR [TLD]: a synthetic world of N tenant-like zones for `offboard scan`.
#
# Writes, under OUTDIR:
#   zones/tNNNNNN.TLD.zone   one small zone per tenant domain (SOA, NS, MX, TXT, CNAME, SRV)
#   nsd-zones.conf           the matching NSD "zone:" entries (include it from nsd.conf)
#   domains.txt              the N domains, one a line (the scan input)
#   queries.txt              every query offboard asks for those domains, in dnsperf's
#                            "NAME TYPE" format: the 15 first-round questions of
#                            checks/questionsFor (NS, MX, TXT, the 11 probe names, DS) and the
#                            CNAME follow-ups of checks/followUps for each MX exchange that is not
#                            Microsoft's (one per hop of the exchange's CNAME chain)
#   expected.tsv             DOMAIN<TAB>KIND<TAB>VERDICT the generator intends (a sanity check)
#
# Why one zone per tenant: a tenant domain is a zone apex with its own SOA and NS, as in real
# life (NS at Microsoft is one of the findings); NSD 4.6 loads 100,000 such zones in about 5 s
# on this machine, so nothing is gained by folding them into a few large zones (which would
# also turn each tenant's NS set into a delegation that NSD answers with referrals).
#
# The mix, by i mod 20 (deterministic, so every run and every tool sees the same world):
#   0      NS at Microsoft (ns1.bdm.microsoftonline.com) and everything at Microsoft
#   1-5    everything at Microsoft: MX, SPF include, MS= TXT, autodiscover, DKIM, Teams, MDM
#   6-12   clean: own MX pair, own SPF, autodiscover at the own mail host
#   13-16  half done: own MX, but SPF, autodiscover and a DKIM selector still at Microsoft
#   17     clean, MX exchange is a CNAME to an own host (two follow-up hops)
#   18     parked: no MX, only a leftover MS= verification TXT
#   19     MX exchange is an own name that is a CNAME to Microsoft's mail host
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
function q(name, type) { printf "%s %s\n", name, type > queries }
BEGIN {
  queries = out "/queries.txt"; conf = out "/nsd-zones.conf"; doms = out "/domains.txt"
  expf = out "/expected.tsv"
  printf "" > queries; printf "" > conf; printf "" > doms; printf "" > expf
  for (i = 0; i < n; i++) {
    d = sprintf("t%06d.%s", i, tld)
    label = sprintf("t%06d-%s", i, tld)
    f = out "/zones/" d ".zone"
    k = i % 20
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
    } else if (k <= 12 || half) {
      printf "@ MX 10 mx1\n" > f
      if (!half) printf "@ MX 20 mx2\nmx2 A 127.0.0.%d\n", 3 + i % 200 > f
      printf "mx1 A 127.0.0.%d\nmail A 127.0.0.%d\n", 3 + i % 200, 4 + i % 200 > f
      if (half) {
        printf "@ TXT \"v=spf1 mx include:spf.protection.outlook.com ~all\"\n" > f
        printf "autodiscover CNAME autodiscover.outlook.com.\n" > f
        printf "selector1._domainkey CNAME selector1-%s._domainkey.tenant%d.onmicrosoft.com.\n", label, i > f
        kind = "half"; verdict = "points-at-m365"
      } else {
        printf "@ TXT \"v=spf1 mx -all\"\n" > f
        printf "autodiscover CNAME mail\n" > f
        kind = "clean"; verdict = "clear"
      }
    } else if (k == 17) {
      printf "@ MX 10 mail\nmail CNAME mx\nmx A 127.0.0.%d\n", 5 + i % 200 > f
      printf "@ TXT \"v=spf1 a:mx.%s -all\"\n", d > f
      kind = "mx-cname"; verdict = "clear"
    } else if (k == 18) {
      printf "@ TXT \"MS=ms%08d\"\n", i > f
      kind = "parked"; verdict = "points-at-m365"
    } else {
      printf "@ MX 10 mail\nmail CNAME %s.mail.protection.outlook.com.\n", label > f
      printf "@ TXT \"v=spf1 -all\"\n" > f
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
    # checks/followUps: each exchange that is not Microsoft'"'"'s, one CNAME question per hop.
    if (kind == "clean" || kind == "half") {
      q("mx1." d, "CNAME")
      if (kind == "clean") { q("mx2." d, "CNAME"); q("mail." d, "CNAME") }  # autodiscover -> mail, followed
    } else if (kind == "mx-cname") {
      q("mail." d, "CNAME"); q("mx." d, "CNAME")
    } else if (kind == "mx-cname-ms") {
      q("mail." d, "CNAME")
    }
  }
}'
