#!/usr/bin/env bash
# Regenerates the committed seed corpora fuzz/corpus/<target>/ from the project's own material:
#   classify  real answers captured with drill from the fixture DNS world (NSD on loopback, the
#             e2e harness), hand-built answers and malformed variants (fuzz_make_packet_seeds)
#   wire_readers messages at the edges of what the direct DNS reader takes (fuzz_wire_readers
#             replays the classify seeds as well)
#   zone      the fixture zone files (renamed to contoso.com), the loader's bad-* fixtures, and
#             snippets for what ldns misreads (BOM, CRLF, NUL, parentheses, no origin, …)
#   tenant    the tenant and Graph fixtures, and broken variants (truncated, wrong types, deep
#             nesting, bad UTF-8/UTF-16, huge numbers)
#   domain    one name per file: ordinary, IDN, and hostile (NUL, ESC, 64-octet labels, …)
#   state     a real state written by StateStore (fuzz_make_state_seed) and corrupted copies
#   mta_sts   the fixture policies, `_mta-sts` records, and broken variants (duplicate keys,
#             bare CR, control octets, out-of-range max_age, bad patterns)
# Needs a configured build (BUILD, default ./build) and, for the captures, root (NSD listens
# on port 53 of 127.N.0.X). Run it by hand when the seeds should change; commit the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC=$PWD
BUILD=${BUILD:-$SRC/build}
OUT=$SRC/fuzz/corpus

cmake --build "$BUILD" -j2 --target fuzz_make_packet_seeds fuzz_make_state_seed >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT"/{classify,wire_readers,zone,tenant,domain,state,mta_sts}

# --- classify ---------------------------------------------------------------------------------
capture_dir=$(mktemp -d)
(
  source "$SRC/tests/e2e/lib.sh"
  e2e_init make_corpus
  start_hierarchy
  # server question type: what the resolver layer really receives from each kind of server.
  while read -r server name qtype; do
    file=$capture_dir/$name-$qtype-${server//./_}
    drill -p 53 -o rd -w "$file.hex" "$name" "@$server" "$qtype" >/dev/null
    sed 's/;.*//' "$file.hex" | xxd -r -p >"$file"
    rm "$file.hex"
  done <<EOF2
${ADDR_MICROSOFT[0]} contoso.com MX
${ADDR_MICROSOFT[0]} contoso.com NS
${ADDR_MICROSOFT[0]} contoso.com TXT
${ADDR_MICROSOFT[0]} contoso.com SOA
${ADDR_MICROSOFT[0]} contoso.com AAAA
${ADDR_MICROSOFT[0]} autodiscover.contoso.com CNAME
${ADDR_MICROSOFT[0]} selector1._domainkey.contoso.com CNAME
${ADDR_MICROSOFT[0]} _sip._tls.contoso.com SRV
${ADDR_MICROSOFT[0]} nosuchname.contoso.com A
${ADDR_TLD} contoso.com NS
${ADDR_ROOT} com NS
${ADDR_OLDDNS[0]} fabrikam.com MX
${ADDR_OLDDNS[0]} fabrikam.com TXT
${ADDR_OLDDNS[0]} xn--bcher-kva.example MX
${ADDR_OLDDNS[0]} www.fabrikam.com A
EOF2
)
"$BUILD/fuzz_make_packet_seeds" "$OUT/classify" "$capture_dir"/*
# wire_readers: the edges of the direct reader (the target replays the classify seeds too).
"$BUILD/fuzz_make_packet_seeds" --reader-edges "$OUT/wire_readers"
rm -rf "$capture_dir"

# --- zone -------------------------------------------------------------------------------------
n=0
for f in fixtures/zones/*.com.zone fixtures/unit/zones/*/contoso.com.zone; do
  n=$((n + 1))
  zone=$(basename "$f" .zone)
  sed "s/\b${zone//./\\.}\b/contoso.com/g" "$f" >"$OUT/zone/fixture-$n-${zone}"
done
zone_seed() { printf "$2" >"$OUT/zone/$1"; }
SOA='@ 3600 IN SOA ns1.contoso.com. hostmaster.contoso.com. 1 3600 600 604800 300\n'
zone_seed minimal "\$ORIGIN contoso.com.\n\$TTL 3600\n${SOA}@ IN NS ns1\nns1 IN A 192.0.2.1\n@ IN MX 0 contoso-com.mail.protection.outlook.com.\n"
zone_seed bom-crlf "\xef\xbb\xbf\$ORIGIN contoso.com.\r\n${SOA%\\n}\r\nmx IN A 192.0.2.1\r\n"
zone_seed crlf "\$ORIGIN contoso.com.\r\n${SOA%\\n}\r\n@ IN MX 10 mx\r\nmx IN A 192.0.2.1\r\n"
zone_seed no-origin "${SOA}@ IN MX 10 mx\n"
zone_seed nul "\$ORIGIN contoso.com.\n${SOA}@ IN TXT \"a\0b\"\n"
zone_seed unclosed-paren "\$ORIGIN contoso.com.\n@ IN SOA ns1 host ( 1 3600 600 604800 300\n@ IN MX 10 mx\n"
zone_seed multiline-soa "\$ORIGIN contoso.com.\n@ IN SOA ns1 host (\n 1 ; serial\n 3600 600 604800 300 )\n"
zone_seed outside "\$ORIGIN contoso.com.\n${SOA}evil.example. IN A 192.0.2.66\n"
zone_seed include "\$ORIGIN contoso.com.\n${SOA}\$INCLUDE /etc/passwd\n"
zone_seed cname-loop "\$ORIGIN contoso.com.\n${SOA}a IN CNAME b\nb IN CNAME a\nautodiscover IN CNAME a\n"
zone_seed wildcard "\$ORIGIN contoso.com.\n${SOA}* IN MX 0 contoso-com.mail.protection.outlook.com.\n*.b IN CNAME autodiscover.outlook.com.\n"
zone_seed delegation "\$ORIGIN contoso.com.\n${SOA}sub IN NS ns1.sub\nns1.sub IN A 192.0.2.7\nwww.sub IN A 192.0.2.8\n"
zone_seed dname "\$ORIGIN contoso.com.\n${SOA}old IN DNAME contoso.com.\n"
zone_seed escapes "\$ORIGIN contoso.com.\n${SOA}@ IN TXT \"\\\\027[2J\\\\007\" \"\\\\\"quoted\\\\\"\"\nw\\\\.eird IN A 192.0.2.9\n"
zone_seed escape-raw "\$ORIGIN contoso.com.\n${SOA}@ IN TXT \"\x1b[2J\"\n"
zone_seed unknown-type "\$ORIGIN contoso.com.\n${SOA}@ IN TYPE65280 \\\\# 3 010203\n@ IN CAA 0 issue \"ca.example\"\n"
zone_seed long-txt "\$ORIGIN contoso.com.\n${SOA}@ IN TXT \"$(printf 'x%.0s' {1..255})\" \"$(printf 'y%.0s' {1..256})\"\n"
zone_seed ttl-units "\$ORIGIN contoso.com.\n\$TTL 1h30m\n${SOA}@ 1w IN MX 10 mx\n"
zone_seed bad-ttl "\$ORIGIN contoso.com.\n\$TTL forever\n${SOA}"
zone_seed quote-open "\$ORIGIN contoso.com.\n${SOA}@ IN TXT \"never closed\n"
zone_seed non-ascii "\$ORIGIN contoso.com.\n${SOA}bücher IN A 192.0.2.1\n@ IN TXT \"bücher\"\n"
zone_seed empty ""
zone_seed origin-other "\$ORIGIN fabrikam.com.\n${SOA}"
zone_seed two-soa "\$ORIGIN contoso.com.\n${SOA}${SOA}"
zone_seed relative-origin "\$ORIGIN contoso.com.\n${SOA}\$ORIGIN sub\n@ IN A 192.0.2.1\n"

# --- tenant -----------------------------------------------------------------------------------
for f in fixtures/tenants/*.json fixtures/tenants/unit/*.json fixtures/graph/*.json; do
  cp "$f" "$OUT/tenant/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"
done
tenant_seed() { printf '%s' "$2" >"$OUT/tenant/$1"; }
demo=$(<fixtures/tenants/demo.json)
tenant_seed cut-half "${demo:0:$((${#demo} / 2))}"
tenant_seed cut-one "${demo:0:$((${#demo} - 1))}"
tenant_seed not-json 'tenant: contoso.onmicrosoft.com'
tenant_seed empty ''
tenant_seed null 'null'
tenant_seed number '42'
tenant_seed string '"contoso.com"'
tenant_seed domains-number '{"tenant": "contoso.onmicrosoft.com", "domains": 5}'
tenant_seed domains-mixed '{"tenant": "contoso.onmicrosoft.com", "domains": ["contoso.com", 1, null, {"a": 1}, ["x"]]}'
tenant_seed domains-bad-names '{"domains": ["a..b", "", ".", "x.onion", "contoso.onmicrosoft.com", "bücher.example", "CONTOSO.com", "contoso.com"]}'
tenant_seed cloud-wrong '{"tenant": "contoso.onmicrosoft.com", "cloud": "mars", "domains": ["contoso.com"]}'
tenant_seed subs-wrong '{"domains": ["contoso.com"], "subscriptions": [{"name": 1, "assigned_licenses": "many", "cancel": "yes"}]}'
tenant_seed licenses-huge '{"domains": ["contoso.com"], "subscriptions": [{"name": "E3", "kind": "business", "assigned_licenses": 1e400}]}'
tenant_seed new-mail-wrong '{"domains": ["contoso.com"], "new_mail": {"mx": [{"host": 7, "preference": -1}], "spf_include": ["x"]}}'
tenant_seed cutover-bad '{"domains": ["contoso.com"], "cutover": "2026-02-30"}'
tenant_seed unknown-key '{"domains": ["contoso.com"], "domian": ["typo.com"]}'
tenant_seed escape-key $'{"domains": ["contoso.com"], "\x1b[2J": 1}'
tenant_seed escape-value $'{"domains": ["con\x1b[31mtoso.com"]}'
tenant_seed nul-escape '{"domains": ["contoso.com\u0000evil"]}'
tenant_seed graph-value-wrong '{"value": [{"id": 5}, {"id": "contoso.com", "isInitial": "no", "supportedServices": "Email"}]}'
tenant_seed graph-records-wrong '{"value": [{"recordType": "Mx", "label": "contoso.com", "mailExchange": 3}]}'
tenant_seed powershell-shallow '[{"Id": "contoso.com", "ServiceConfigurationRecords": "System.Collections.Generic.List`1[...]"}]'
tenant_seed deep-nesting "$(printf '[%.0s' {1..5000})$(printf ']%.0s' {1..5000})"
tenant_seed deep-objects "$(printf '{"a":%.0s' {1..300})1$(printf '}%.0s' {1..300})"
tenant_seed duplicate-keys '{"domains": ["contoso.com"], "domains": ["fabrikam.com"]}'
tenant_seed huge-string "{\"domains\": [\"$(printf 'a%.0s' {1..70000}).com\"]}"
printf '\xff\xfe{\x00"\x00' >"$OUT/tenant/utf16-cut"
printf '\xfe\xff\x00{\x00}' >"$OUT/tenant/utf16be"
printf '{"domains": ["\xc3\x28.com"]}' >"$OUT/tenant/bad-utf8"
printf '\xef\xbb\xbf{"domains": ["contoso.com"]}' >"$OUT/tenant/utf8-bom"

# --- domain -----------------------------------------------------------------------------------
n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf '%b' "$line" >"$OUT/domain/$(printf '%03d' "$n")"
done <<'EOF2'
contoso.com
Contoso.COM.
bücher.example
xn--bcher-kva.example
XN--BCHER-KVA.EXAMPLE
straße.de
faß.example
ĸ.example
١٢٣.example
xn--zz.example
xn--.example
a..b

.
.contoso.com
contoso.com..
con toso.com
contoso.com;rm -rf /
$(reboot).com
`id`.com
contoso\\.com
conto\0so.com
a\x1b[31m.com
\x1b]0;title\x07.com
-contoso.com
contoso-.com
localhost
foo.localhost
printer.local
x.onion
192.0.2.1
::1
[::1]
1.2.3.4.in-addr.arpa
com
_dmarc.contoso.com
*.contoso.com
ＣＯＮＴＯＳＯ.com
contoso。com
\xe2\x80\x8bcontoso.com
\xc3\x28.com
\xff\xfe.com
EOF2
printf '%s.com' "$(printf 'a%.0s' {1..63})" >"$OUT/domain/label-63"
printf '%s.com' "$(printf 'a%.0s' {1..64})" >"$OUT/domain/label-64"
printf '%s' "$(printf 'abcdefghi.%.0s' {1..25})com" >"$OUT/domain/name-254"
printf '%s' "$(printf 'a%.0s' {1..1100})" >"$OUT/domain/long-1100"

# --- state ------------------------------------------------------------------------------------
good=$OUT/state/valid
"$BUILD/fuzz_make_state_seed" "$good"
rm -f "$good-wal" "$good-shm"
size=$(stat -c %s "$good")
state_variant() { cp "$good" "$OUT/state/$1"; }
patch_bytes() { printf "$3" | dd of="$OUT/state/$1" bs=1 seek="$2" conv=notrunc status=none; }
state_variant newer-schema && patch_bytes newer-schema 60 '\x00\x00\x00\x02'
state_variant foreign-app-id && patch_bytes foreign-app-id 68 '\x12\x34\x56\x78'
state_variant not-wal && patch_bytes not-wal 18 '\x01\x01'
state_variant page-size-bad && patch_bytes page-size-bad 16 '\x00\x03'
state_variant page-2-zeroed && dd if=/dev/zero of="$OUT/state/page-2-zeroed" bs=4096 seek=1 count=1 conv=notrunc status=none
state_variant last-page-garbage && printf 'garbage%.0s' {1..100} | dd of="$OUT/state/last-page-garbage" bs=1 seek=$((size - 1024)) conv=notrunc status=none
head -c $((size / 2)) "$good" >"$OUT/state/cut-half"
head -c 100 "$good" >"$OUT/state/cut-100"
head -c 16 "$good" >"$OUT/state/magic-only"
: >"$OUT/state/empty"
printf 'not a database\n' >"$OUT/state/text"
printf 'SQLite format 3\0' >"$OUT/state/magic-then-nothing"

# --- mta_sts ----------------------------------------------------------------------------------
cp "$SRC"/fixtures/zones/mta-sts.*.txt "$OUT/mta_sts/"
m() { printf "$2" >"$OUT/mta_sts/$1"; }
m enforce-m365 'version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n'
m testing-lf 'version: STSv1\nmode: testing\nmx: mx1.example.net\nmx: *.Example.ORG\nmax_age: 86400'
m none 'version: STSv1\nmode: none\nmax_age: 0\n'
m dup-mode 'version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 1\n'
m bare-cr 'version: STSv1\nmode: enforce\rmode: none\nmx: a.example\nmax_age: 1\n'
m bad 'version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 31557601\n\x1b[31m: x\n'
m record 'v=STSv1; id=20240101T000000;'
m record-ext 'v=STSv1;id=a;ext=b;'
m record-bad 'v=STSv1; id=2024-01-01; id=b'

for d in "$OUT"/*; do echo "corpus $(basename "$d"): $(find "$d" -type f | wc -l) files"; done
