# tests/e2e/lib.sh: the harness every end-to-end test sources.
#
# It builds a private copy of the fixture DNS world (fixtures/zones) for one test, on its own
# slice of loopback addresses, and starts real servers there: NSD for each authoritative
# role, Unbound as the recursive resolver, and a "blackhole" that swallows queries. It also
# gives the assertions the tests use. It must never bind or send to anything outside
# 127.0.0.0/8, and it stops every process it started when the test exits, however it exits.
#
# Address layout: the fixtures use 127.77.0.X; a test gets 127.N.0.X instead, where N
# (100-250) is derived from the test name and held with a lock so that tests running in
# parallel never share an address. Every server listens on port 53 (delegations in zone
# files cannot name a port), which needs root: without it the test exits 77 (ctest: skipped).
#
#   X    role        zones
#   1    root        .
#   2    tld         com. example. cn.
#   10-13 microsoft  microsoftonline.com. contoso.com.         (ns1..ns4.bdm.microsoftonline.com)
#   14-15 21vianet   microsoftonline.cn. fourthcoffee.com.     (ns1/ns2.dns.partner.microsoftonline.cn)
#   20-21 olddns     olddns.example. and most customer zones   (ns1/ns2.olddns.example)
#   30-31 newdns     newdns.example. newmail.example. wingtiptoys.com. treyresearch.com.
#   53   unbound     recursive resolver (root hints: $WORK/zones/root.hints)
#   99   dead        blackhole: receives queries and never answers (timeouts)
#
# Usage:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   e2e_init my_test            # $WORK, $E2E_NET, $WORK/zones, ADDR_* variables, EXIT trap
#   start_hierarchy             # every authoritative server + the blackhole
#   start_unbound "$ADDR_UNBOUND"
#   assert_exit 1 "$OFFBOARD" check contoso.com --resolver "$ADDR_UNBOUND"
#   assert_contains "$OUT" "mx-at-m365"
#
# API (each described where it is defined):
#   set-up      e2e_init NAME [N]; net_addr X
#   servers     start_hierarchy; start_nsd ROLE ADDR... -- ZONE...; start_unbound ADDR [ROLE];
#               start_blackhole ADDR [ROLE]; restart_server ROLE; flush_unbound [ROLE];
#               stop_server ROLE; stop_all
#   queries     dig_at ADDR ARGS... (RD=0, one server); dig_rec ARGS... (through Unbound)
#   assertions  assert_eq; assert_contains; assert_not_contains; assert_exit CODE CMD...
#               (sets $OUT, $ERR); golden_compare FILE TEXT; fail; note
#   variables   SRC, OFFBOARD, WORK, E2E_NET, ADDR_ROOT, ADDR_TLD, ADDR_MICROSOFT[4],
#               ADDR_21VIANET[2], ADDR_OLDDNS[2], ADDR_NEWDNS[2], ADDR_UNBOUND, ADDR_DEAD,
#               ZONES_ROOT/TLD/MICROSOFT/21VIANET/OLDDNS/NEWDNS (edit before start_hierarchy),
#               E2E_PID[role], E2E_ADDRS[role]
#   environment UPDATE_GOLDEN=1 rewrites goldens; E2E_VERBOSITY=N server log verbosity;
#               UNBOUND_CACHE_MAX_TTL=N caps Unbound's cache; CI=true turns a missing
#               nsd/unbound/dig into a failure instead of a skip.

set -euo pipefail

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# SRC (repository root) and OFFBOARD (the built binary) come from ctest; defaults for a
# test run by hand from the repository.
SRC=${SRC:-$(cd "$E2E_LIB_DIR/../.." && pwd)}
OFFBOARD=${OFFBOARD:-$SRC/build/offboard}
export SRC OFFBOARD

declare -A E2E_PID=()    # role -> pid of the server process
declare -A E2E_CONF=()   # role -> its config file
declare -A E2E_KIND=()   # role -> nsd | unbound | blackhole
declare -A E2E_ADDRS=()  # role -> its addresses, space separated
declare -A E2E_PROBE=()  # role -> zone queried to know the server answers
E2E_ORDER=()             # roles in start order (stopped in reverse)
E2E_CHECKS=0             # assertions passed
E2E_NAME=""
E2E_NET=""
E2E_OWN_WORK=0

# ---------------------------------------------------------------------------------------
# Failing and assertions. Each failing assertion ends the test at once (exit 1).

# fail MESSAGE...: print the message and end the test as failed.
fail() {
  echo "FAIL [$E2E_NAME]: $*" >&2
  exit 1
}

# note MESSAGE...: a progress line on stderr.
note() { echo "--- [$E2E_NAME] $*" >&2; }

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
  local expected=$1 actual=$2 what=${3:-value}
  if [[ "$expected" != "$actual" ]]; then
    fail "$what: expected [$expected], got [$actual]"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# assert_contains HAYSTACK NEEDLE [WHAT]: NEEDLE is a fixed string.
assert_contains() {
  local haystack=$1 needle=$2 what=${3:-output}
  if [[ "$haystack" != *"$needle"* ]]; then
    printf '%s\n' "$haystack" | sed 's/^/    | /' >&2
    fail "$what does not contain [$needle]"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
  local haystack=$1 needle=$2 what=${3:-output}
  if [[ "$haystack" == *"$needle"* ]]; then
    printf '%s\n' "$haystack" | sed 's/^/    | /' >&2
    fail "$what contains [$needle]"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# assert_exit CODE CMD [ARG...]: runs CMD, requires exit status CODE. Leaves its output in
# $OUT and $ERR (and in $WORK/last.out, $WORK/last.err) for further assertions.
OUT=""
ERR=""
assert_exit() {
  local expected=$1
  shift
  local rc=0
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  OUT=$(<"$WORK/last.out")
  ERR=$(<"$WORK/last.err")
  if [[ "$rc" != "$expected" ]]; then
    {
      echo "command: $*"
      echo "stdout:"; sed 's/^/    | /' "$WORK/last.out"
      echo "stderr:"; sed 's/^/    | /' "$WORK/last.err"
    } >&2
    fail "exit status: expected $expected, got $rc"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# e2e_normalize TEXT: TEXT with this test's addresses (127.N.) written back as the fixture
# addresses (127.77.) and $WORK as the literal "$WORK", so goldens do not depend on N.
e2e_normalize() {
  local text=${1//"127.$E2E_NET."/127.77.}
  printf '%s\n' "${text//"$WORK"/\$WORK}"
}

# golden_compare FILE ACTUAL: ACTUAL (text, normalised as above) must equal the golden FILE
# (relative to the repository root unless absolute). With UPDATE_GOLDEN=1 the golden file
# is (re)written instead and the check passes.
golden_compare() {
  local golden=$1 actual
  actual=$(e2e_normalize "$2")
  [[ $golden == /* ]] || golden=$SRC/$golden
  if [[ "${UPDATE_GOLDEN:-0}" == 1 ]]; then
    mkdir -p "$(dirname "$golden")"
    printf '%s\n' "$actual" >"$golden"
    note "updated golden $golden"
  elif [[ ! -f $golden ]]; then
    fail "golden $golden is missing (run with UPDATE_GOLDEN=1 to create it)"
  elif ! diff -u "$golden" <(printf '%s\n' "$actual") >"$WORK/golden.diff"; then
    sed 's/^/    /' "$WORK/golden.diff" >&2
    fail "output differs from golden $golden (UPDATE_GOLDEN=1 rewrites it)"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# ---------------------------------------------------------------------------------------
# Set-up.

# e2e_init NAME [N]: prepares this test's world. N (100-250) forces the network octet;
# otherwise it comes from a hash of NAME, moved on to the next free one when another test
# holds it. Sets WORK, E2E_NET, ADDR_*, the zone lists ZONES_* used by start_hierarchy, and
# the EXIT trap that stops every server.
e2e_init() {
  E2E_NAME=${1:?e2e_init NAME [N]}
  local forced=${2:-}

  if [[ -n "${WORK:-}" ]]; then
    # ctest gives a fixed directory under the build tree: reuse it only if it is ours.
    if [[ -d $WORK && -n "$(ls -A "$WORK")" && ! -e $WORK/.e2e-work ]]; then
      echo "e2e: WORK=$WORK is not empty and not an e2e work directory; refusing to clear it" >&2
      exit 1
    fi
    mkdir -p "$WORK"
    e2e_kill_leftovers
    find "$WORK" -mindepth 1 -delete
  else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/offboard-e2e-$E2E_NAME.XXXXXX")
    E2E_OWN_WORK=1
  fi
  WORK=$(cd "$WORK" && pwd)
  export WORK
  : >"$WORK/.e2e-work"

  trap e2e_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  e2e_pick_net "$forced"

  local p=127.$E2E_NET.0
  ADDR_ROOT=$p.1
  ADDR_TLD=$p.2
  ADDR_MICROSOFT=("$p.10" "$p.11" "$p.12" "$p.13")
  ADDR_21VIANET=("$p.14" "$p.15")
  ADDR_OLDDNS=("$p.20" "$p.21")
  ADDR_NEWDNS=("$p.30" "$p.31")
  ADDR_UNBOUND=$p.53
  ADDR_DEAD=$p.99

  # Which zones each role serves (tests may add to these before start_hierarchy; an entry
  # with a "/" is a zone file path, named after its file: DIR/contoso.com.zone).
  ZONES_ROOT=(.)
  ZONES_TLD=(com example cn)
  ZONES_MICROSOFT=(microsoftonline.com contoso.com lucernepublishing.com
    "$SRC"/fixtures/zones/stale/{woodgrovebank,bellowscollege,humongousinsurance}.com.zone)
  ZONES_21VIANET=(microsoftonline.cn fourthcoffee.com)
  ZONES_OLDDNS=(olddns.example fabrikam.com tailspintoys.com adatum.com proseware.com
    relecloud.com northwindtraders.com litwareinc.com alpineskihouse.com cohowinery.com
    xn--bcher-kva.example evil.example treyresearch.com margiestravel.com)
  ZONES_NEWDNS=(newdns.example newmail.example wingtiptoys.com treyresearch.com
    woodgrovebank.com bellowscollege.com humongousinsurance.com)

  # This test's copy of the fixture zones, on its own addresses.
  mkdir -p "$WORK/zones"
  local f
  for f in "$SRC"/fixtures/zones/*.zone "$SRC"/fixtures/zones/root.hints; do
    sed "s/127\.77\./127.$E2E_NET./g" "$f" >"$WORK/zones/${f##*/}"
  done
  note "work $WORK, network 127.$E2E_NET.0.0/16"
}

# net_addr X: this test's address 127.N.0.X.
net_addr() { echo "127.$E2E_NET.0.$1"; }

# e2e_pick_net [N]: chooses the octet and holds its lock (fd 9) until the test ends.
# Servers inherit the descriptor, so a server that outlives its test keeps its addresses
# reserved.
e2e_pick_net() {
  local forced=$1 start i n h
  if [[ -n $forced ]]; then
    ((forced >= 100 && forced <= 250)) || fail "network octet $forced is outside 100-250"
    e2e_open_lock "$forced" || fail "cannot open the lock file for network 127.$forced"
    flock -w 120 9 || fail "network 127.$forced is held by another test"
    E2E_NET=$forced
    return
  fi
  read -r h _ < <(printf '%s' "$E2E_NAME" | cksum)
  start=$((h % 151))
  for ((i = 0; i < 151; i++)); do
    n=$((100 + (start + i) % 151))
    e2e_open_lock "$n" || continue
    if flock -n 9; then
      E2E_NET=$n
      return
    fi
    exec 9>&-
  done
  fail "no free network octet in 100-250"
}

# e2e_open_lock N: opens (creating it world-writable if needed) the lock file of network
# 127.N on fd 9. Shared by every user of the machine, so a root run and a user run agree.
e2e_open_lock() {
  local lock=${TMPDIR:-/tmp}/offboard-e2e-127.$1.lock
  if [[ ! -e $lock ]]; then
    (umask 000 && : >>"$lock") 2>/dev/null || true
  fi
  { exec 9>>"$lock"; } 2>/dev/null || { exec 9<"$lock"; } 2>/dev/null
}

# e2e_require_servers: exits 77 (skipped) when servers cannot run here: port 53 needs root
# (or a lowered net.ipv4.ip_unprivileged_port_start), and nsd, unbound and dig must exist.
# Under CI (CI=true) missing programs are a failure, not a skip: scripts/deps.sh installs them.
e2e_require_servers() {
  local unpriv=1024
  [[ -r /proc/sys/net/ipv4/ip_unprivileged_port_start ]] &&
    unpriv=$(</proc/sys/net/ipv4/ip_unprivileged_port_start)
  if [[ $(id -u) -ne 0 ]] && ((unpriv > 53)); then
    echo "SKIP [$E2E_NAME]: cannot bind port 53 (not root)" >&2
    exit 77
  fi
  local tool
  for tool in nsd nsd-checkconf unbound unbound-checkconf dig flock; do
    if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$tool ]]; then
      if [[ "${CI:-}" == true ]]; then fail "$tool is not installed (scripts/deps.sh)"; fi
      echo "SKIP [$E2E_NAME]: $tool is not installed (scripts/deps.sh)" >&2
      exit 77
    fi
  done
}

# ---------------------------------------------------------------------------------------
# Servers.

PATH=$PATH:/usr/sbin:/sbin

# e2e_zone_file ZONE: the file for ZONE ("." or "root" -> root.zone; a path is itself).
e2e_zone_file() {
  case $1 in
    */*) echo "$1" ;;
    . | root) echo "$WORK/zones/root.zone" ;;
    *) echo "$WORK/zones/${1%.}.zone" ;;
  esac
}

# e2e_zone_name ZONE: the zone's name, with a trailing dot.
e2e_zone_name() {
  local z=$1
  if [[ $z == */* ]]; then z=${z##*/}; z=${z%.zone}; fi
  case $z in
    . | root) echo "." ;;
    *) echo "${z%.}." ;;
  esac
}

# start_nsd ROLE ADDR... -- ZONE...: one NSD serving ZONEs authoritatively on every ADDR,
# port 53. Returns once it answers SOA queries for its first zone on every address.
start_nsd() {
  local role=${1:?start_nsd ROLE ADDR... -- ZONE...}
  shift
  local addrs=() zones=()
  while (($#)) && [[ $1 != -- ]]; do addrs+=("$1"); shift; done
  (($#)) || fail "start_nsd $role: missing -- before the zones"
  shift
  zones=("$@")
  ((${#addrs[@]} && ${#zones[@]})) || fail "start_nsd $role: needs addresses and zones"
  e2e_require_servers
  [[ -z "${E2E_PID[$role]:-}" ]] || fail "start_nsd: a server named $role is already running"

  local dir=$WORK/nsd-$role a z file
  mkdir -p "$dir"
  {
    echo "server:"
    for a in "${addrs[@]}"; do
      e2e_check_loopback "$a"
      echo "    ip-address: $a@53"
    done
    echo "    do-ip4: yes"
    echo "    do-ip6: no"
    echo "    username: \"\""
    echo "    chroot: \"\""
    echo "    database: \"\""
    echo "    zonesdir: \"$WORK/zones\""
    echo "    zonelistfile: \"$dir/zone.list\""
    echo "    xfrdfile: \"$dir/xfrd.state\""
    echo "    xfrdir: \"$dir\""
    echo "    pidfile: \"$dir/nsd.pid\""
    echo "    logfile: \"$dir/nsd.log\""
    echo "    verbosity: ${E2E_VERBOSITY:-1}"
    echo "    server-count: 1"
    echo "    reuseport: no"
    echo "    identity: \"$role\""
    echo "remote-control:"
    echo "    control-enable: no"
    for z in "${zones[@]}"; do
      file=$(e2e_zone_file "$z")
      [[ -r $file ]] || fail "start_nsd $role: no zone file $file"
      echo "zone:"
      echo "    name: \"$(e2e_zone_name "$z")\""
      echo "    zonefile: \"$file\""
    done
  } >"$dir/nsd.conf"
  nsd-checkconf "$dir/nsd.conf" || fail "start_nsd $role: bad config $dir/nsd.conf"

  E2E_KIND[$role]=nsd
  E2E_CONF[$role]=$dir/nsd.conf
  E2E_ADDRS[$role]=${addrs[*]}
  E2E_PROBE[$role]=$(e2e_zone_name "${zones[0]}")
  e2e_launch "$role"
}

# start_unbound ADDR [ROLE]: a recursive Unbound on ADDR port 53, iterating from the
# fixture root hints (no DNSSEC validation). Returns once it resolves ". SOA", so the root
# server must be running. ROLE defaults to "unbound". It caches with the zones' TTLs: after
# changing a zone and restarting its NSD, call flush_unbound (or set UNBOUND_CACHE_MAX_TTL
# before starting it).
start_unbound() {
  local addr=${1:?start_unbound ADDR [ROLE]} role=${2:-unbound}
  e2e_require_servers
  e2e_check_loopback "$addr"
  [[ -z "${E2E_PID[$role]:-}" ]] || fail "start_unbound: a server named $role is already running"
  local dir=$WORK/$role
  mkdir -p "$dir"
  e2e_unbound_conf "$dir" "$addr" allow >"$dir/unbound.conf"
  unbound-checkconf "$dir/unbound.conf" >/dev/null || fail "start_unbound: bad config $dir/unbound.conf"
  E2E_KIND[$role]=unbound
  E2E_CONF[$role]=$dir/unbound.conf
  E2E_ADDRS[$role]=$addr
  E2E_PROBE[$role]=.
  e2e_launch "$role"
}

# start_blackhole ADDR [ROLE]: something on ADDR port 53 that reads every query and never
# answers, so clients time out (instead of the immediate ICMP "port unreachable" that an
# address with nothing listening gives). It is an Unbound whose access control drops all.
# ROLE defaults to "dead".
start_blackhole() {
  local addr=${1:?start_blackhole ADDR [ROLE]} role=${2:-dead}
  e2e_require_servers
  e2e_check_loopback "$addr"
  [[ -z "${E2E_PID[$role]:-}" ]] || fail "start_blackhole: a server named $role is already running"
  local dir=$WORK/$role
  mkdir -p "$dir"
  e2e_unbound_conf "$dir" "$addr" deny >"$dir/unbound.conf"
  unbound-checkconf "$dir/unbound.conf" >/dev/null || fail "start_blackhole: bad config $dir/unbound.conf"
  E2E_KIND[$role]=blackhole
  E2E_CONF[$role]=$dir/unbound.conf
  E2E_ADDRS[$role]=$addr
  E2E_PROBE[$role]=""
  e2e_launch "$role"
}

# start_hierarchy: every authoritative server of the fixture world (root, tld, microsoft,
# 21vianet, olddns, newdns, from the ZONES_* lists) and the blackhole "dead".
start_hierarchy() {
  start_nsd root "$ADDR_ROOT" -- "${ZONES_ROOT[@]}"
  start_nsd tld "$ADDR_TLD" -- "${ZONES_TLD[@]}"
  start_nsd microsoft "${ADDR_MICROSOFT[@]}" -- "${ZONES_MICROSOFT[@]}"
  start_nsd 21vianet "${ADDR_21VIANET[@]}" -- "${ZONES_21VIANET[@]}"
  start_nsd olddns "${ADDR_OLDDNS[@]}" -- "${ZONES_OLDDNS[@]}"
  start_nsd newdns "${ADDR_NEWDNS[@]}" -- "${ZONES_NEWDNS[@]}"
  start_blackhole "$ADDR_DEAD" dead
}

# restart_server ROLE: stops ROLE and starts it again with the same configuration. For
# NSD this reloads changed zone files; for Unbound it empties the cache.
restart_server() {
  local role=${1:?restart_server ROLE}
  [[ -n "${E2E_PID[$role]:-}" ]] || fail "restart_server: $role is not running"
  e2e_stop "$role"
  e2e_launch "$role"
}

# flush_unbound [ROLE]: empties Unbound's cache (by restarting it: remote control is off).
flush_unbound() { restart_server "${1:-unbound}"; }

# stop_server ROLE: stops one server (e.g. to make a nameserver go dark mid-test).
stop_server() {
  local role=${1:?stop_server ROLE}
  [[ -n "${E2E_PID[$role]:-}" ]] || fail "stop_server: $role is not running"
  e2e_stop "$role"
  local r kept=()
  for r in "${E2E_ORDER[@]}"; do [[ $r == "$role" ]] || kept+=("$r"); done
  E2E_ORDER=("${kept[@]}")
  unset "E2E_PID[$role]"
}

# stop_all: stops every server this test started, newest first. Called by the EXIT trap.
stop_all() {
  local i role
  for ((i = ${#E2E_ORDER[@]} - 1; i >= 0; i--)); do
    role=${E2E_ORDER[i]}
    [[ -n "${E2E_PID[$role]:-}" ]] && e2e_stop "$role"
    unset "E2E_PID[$role]"
  done
  E2E_ORDER=()
}

# dig_at ADDR ARGS...: a non-recursive query (RD=0) to one server, 2 s, one try.
dig_at() {
  local addr=$1
  shift
  dig +norec +time=2 +tries=1 "@$addr" "$@"
}

# dig_rec ARGS...: a recursive query through the Unbound at $ADDR_UNBOUND.
dig_rec() { dig +time=5 +tries=1 "@$ADDR_UNBOUND" "$@"; }

# ---------------------------------------------------------------------------------------
# Internals.

e2e_check_loopback() {
  [[ $1 =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "refusing to use $1: servers listen on 127.0.0.0/8 only"
}

# e2e_unbound_conf DIR ADDR allow|deny: Unbound's config (deny = the blackhole).
e2e_unbound_conf() {
  local dir=$1 addr=$2 access=$3
  e2e_probe_unbound
  # TTLs stay as the zones say (tests compare them); UNBOUND_CACHE_MAX_TTL=N caps the
  # cache instead, for tests that change zones without calling flush_unbound.
  E2E_UNBOUND_TTL=""
  if [[ -n "${UNBOUND_CACHE_MAX_TTL:-}" ]]; then
    E2E_UNBOUND_TTL="    cache-max-ttl: $UNBOUND_CACHE_MAX_TTL
    cache-max-negative-ttl: $UNBOUND_CACHE_MAX_TTL"
  fi
  cat <<EOF
server:
    interface: $addr
    port: 53
    interface-automatic: no
    outgoing-interface: $addr
    access-control: 0.0.0.0/0 refuse
    access-control: 127.0.0.0/8 $access
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    do-not-query-localhost: no
    root-hints: "$WORK/zones/root.hints"
    module-config: "iterator"
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    logfile: "$dir/unbound.log"
    use-syslog: no
    log-time-ascii: yes
    verbosity: ${E2E_VERBOSITY:-1}
    num-threads: 1
    outgoing-range: 512
    num-queries-per-thread: 1024
    so-reuseport: no
    harden-referral-path: no
    qname-minimisation: no
    prefetch: no
    minimal-responses: no
$E2E_UNBOUND_TTL
    infra-host-ttl: 30
    infra-cache-max-rtt: 1500
$E2E_UNBOUND_EXTRA
remote-control:
    control-enable: no
EOF
}

# e2e_probe_unbound: sets E2E_UNBOUND_EXTRA, options only some Unbound 1.17.1 builds know.
# Debian's security update (1.17.1-2+deb12u4) added discard-timeout, which drops a reply
# (SERVFAIL included) to a client that has waited longer than 1.9 s: a query that
# exhausts a dead server's retries would then never be answered. Disabled where it exists.
E2E_UNBOUND_EXTRA=unknown
e2e_probe_unbound() {
  [[ $E2E_UNBOUND_EXTRA == unknown ]] || return 0
  E2E_UNBOUND_EXTRA=""
  printf 'server:\n    discard-timeout: 0\n' >"$WORK/.probe-unbound.conf"
  if unbound-checkconf "$WORK/.probe-unbound.conf" >/dev/null 2>&1; then
    E2E_UNBOUND_EXTRA="    discard-timeout: 0"
  fi
  rm -f "$WORK/.probe-unbound.conf"
}

# e2e_launch ROLE: starts ROLE from its config and waits until it serves.
e2e_launch() {
  local role=$1 kind=${E2E_KIND[$1]} conf=${E2E_CONF[$1]} dir pid
  dir=$(dirname "$conf")
  case $kind in
    nsd) nsd -d -c "$conf" </dev/null >>"$dir/server.out" 2>&1 & ;;
    unbound | blackhole) unbound -d -c "$conf" </dev/null >>"$dir/server.out" 2>&1 & ;;
  esac
  pid=$!
  E2E_PID[$role]=$pid
  echo "$pid" >"$dir/server.pid"
  local r seen=0
  for r in "${E2E_ORDER[@]}"; do [[ $r == "$role" ]] && seen=1; done
  ((seen)) || E2E_ORDER+=("$role")
  e2e_wait_ready "$role"
}

# e2e_wait_ready ROLE: bounded wait (about 10 s) until ROLE answers on all its addresses.
e2e_wait_ready() {
  local role=$1 pid=${E2E_PID[$1]} kind=${E2E_KIND[$1]} probe=${E2E_PROBE[$1]} a try out
  local log
  log=$(dirname "${E2E_CONF[$role]}")
  for a in ${E2E_ADDRS[$role]}; do
    for ((try = 0; ; try++)); do
      if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 20 "$log"/*.log "$log/server.out" >&2 2>/dev/null || true
        fail "$kind $role exited during start-up (logs in $log)"
      fi
      case $kind in
        nsd)
          out=$(dig +norec +time=1 +tries=1 "@$a" SOA "$probe" 2>/dev/null || true)
          [[ $out == *"status: NOERROR"* && $out == *" aa"* ]] && break
          ;;
        unbound)
          out=$(dig +time=2 +tries=1 "@$a" SOA "$probe" 2>/dev/null || true)
          [[ $out == *"status: NOERROR"* ]] && break
          ;;
        blackhole)
          grep -q "start of service" "$log/unbound.log" 2>/dev/null && break
          ;;
      esac
      if ((try >= 50)); then
        tail -n 20 "$log"/*.log "$log/server.out" >&2 2>/dev/null || true
        fail "$kind $role does not answer on $a (logs in $log)"
      fi
      sleep 0.2
    done
  done
}

# e2e_stop ROLE: SIGTERM, up to 5 s to exit, then SIGKILL for it and its children.
e2e_stop() {
  local role=$1 pid=${E2E_PID[$1]} i kids
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kids=$(e2e_children "$pid")
    echo "e2e: $role (pid $pid) ignored SIGTERM; killing it${kids:+ and children $kids}" >&2
    # shellcheck disable=SC2086
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  rm -f "$(dirname "${E2E_CONF[$role]}")/server.pid"
}

# e2e_children PID: the pids whose parent is PID (from /proc).
e2e_children() {
  local stat rest ppid
  for stat in /proc/[0-9]*/stat; do
    read -r rest <"$stat" 2>/dev/null || continue
    rest=${rest##*) }        # after the command name: "S PPID ..."
    ppid=${rest#* }
    ppid=${ppid%% *}
    if [[ $ppid == "$1" ]]; then
      stat=${stat#/proc/}
      echo -n "${stat%/stat} "
    fi
  done
}

# e2e_kill_leftovers: servers left running by an earlier run in this WORK (a killed test):
# each recorded pid is stopped only if its command line names a config under $WORK.
e2e_kill_leftovers() {
  local f pid cmd args
  for f in "$WORK"/*/server.pid; do
    [[ -r $f ]] || continue
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] || continue
    args=()
    mapfile -d '' args 2>/dev/null <"/proc/$pid/cmdline" || continue
    cmd=${args[*]}
    if [[ $cmd == *"$WORK/"* ]]; then
      echo "e2e: stopping leftover server $pid ($cmd)" >&2
      kill -TERM "$pid" 2>/dev/null || true
      sleep 1
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

e2e_on_exit() {
  local rc=$?
  set +e
  stop_all
  if ((rc == 0)); then
    echo "e2e [$E2E_NAME]: passed ($E2E_CHECKS checks)" >&2
    ((E2E_OWN_WORK)) && rm -rf "$WORK"
  elif ((rc == 77)); then
    ((E2E_OWN_WORK)) && rm -rf "$WORK"
  else
    local f
    for f in "$WORK"/*/*.log; do
      [[ -s $f ]] || continue
      echo "--- last lines of $f" >&2
      tail -n 15 "$f" >&2
    done
    echo "e2e [$E2E_NAME]: FAILED (exit $rc); work directory kept: $WORK" >&2
  fi
  exit "$rc"
}
