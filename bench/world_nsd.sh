# bench/world_nsd.sh: sourced after tests/e2e/lib.sh; starts one NSD serving a world made by
# bench/gen_world.sh, through the e2e harness (its launcher waits until the server answers and
# its EXIT trap stops it). start_nsd would do the same, but it forks twice per zone to name the
# files, which takes seconds for hundreds of zones and minutes for 100,000; this includes the
# generated zone list instead (the tenants' zones and the shared mail providers' zones,
# providerP.TLD, which gen_world.sh lists first). One server process (server-count 1): on a
# 2-core machine NSD shares the cores with the client (bench/scan.sh pins it for its
# single-thread figure).

# start_world_nsd ROLE ADDR WORLD_DIR
start_world_nsd() {
  local role=$1 addr=$2 world=$3 dir
  e2e_require_servers
  e2e_check_loopback "$addr"
  [[ -z "${E2E_PID[$role]:-}" ]] || fail "start_world_nsd: a server named $role is already running"
  dir=$WORK/nsd-$role
  mkdir -p "$dir"
  cat >"$dir/nsd.conf" <<CONF
server:
    ip-address: $addr@53
    do-ip4: yes
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    logfile: "$dir/nsd.log"
    verbosity: 0
    server-count: 1
    reuseport: no
    identity: "$role"
    # No response rate limiting (NSD's default, 200 identical answers per second per /24):
    # every domain of a scan without shared answers asks the providers' same few questions,
    # which NSD would otherwise drop or truncate (slip) as if they were an amplification attack.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
include: "$world/nsd-zones.conf"
CONF
  nsd-checkconf "$dir/nsd.conf" || fail "start_world_nsd: bad config $dir/nsd.conf"
  E2E_KIND[$role]=nsd
  E2E_CONF[$role]=$dir/nsd.conf
  E2E_ADDRS[$role]=$addr
  # The last zone generated (the last in the list, after the providers'): once it answers,
  # every zone is loaded.
  E2E_PROBE[$role]=$(tail -n 1 "$world/domains.txt").
  e2e_launch "$role"
}
