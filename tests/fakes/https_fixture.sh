#!/usr/bin/env bash
# tests/fakes/https_fixture.sh: fake MTA-STS policy hosts for the HTTPS fetcher's tests.
#
#   https_fixture.sh start DIR    make a test CA and three server certificates in DIR and start
#                                 one tests/fakes/https_policy_server.py per certificate
#   https_fixture.sh stop DIR     stop them (DIR itself is the caller's to remove)
#
# What `start` leaves in DIR:
#   ca.pem                 the test CA (trusted by nothing else on the machine)
#   root/                  the servers' root: the caller writes mta-sts.D.txt, .type, .redirect,
#                          .big, .delay files there (https_policy_server.py says what each does)
#   CERT.pem CERT.key      for CERT in
#                            good       SANs: the names in $MTA_STS_NAMES (space-separated;
#                                       default below), valid from now for a week
#                            wrongname  SAN mta-sts.other.example only
#                            expired    SANs as good, valid from 1 Jan to 1 Feb 2020
#   CERT.port CERT.pid     the server's kernel-chosen port on 127.0.0.1 and its process id
#   CERT.log               the server's standard error (empty unless it failed)
# $HTTPS_FIXTURE_OWNER, when set, is a process id the servers watch: they exit when it does, so
# a test that crashes before `stop` leaves nothing running.
#
# What it must not do: bind anything outside 127.0.0.0/8, or write outside DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
names=${MTA_STS_NAMES:-"mta-sts.good.test mta-sts.redirect.test mta-sts.big.test mta-sts.html.test mta-sts.missing.test"}
certs=(good wrongname expired)

die() {
  echo "https_fixture.sh: $*" >&2
  exit 1
}

san_of() {
  local san="" n
  for n in $1; do san+="${san:+,}DNS:$n"; done
  echo "$san"
}

make_pki() {
  local dir=$1
  mkdir -p "$dir/ca" "$dir/root"
  : >"$dir/ca/index.txt"
  echo "unique_subject = no" >"$dir/ca/index.txt.attr"
  # `openssl ca`, not `x509 -req`: OpenSSL 3.0's x509 cannot set a start date in the past.
  cat >"$dir/ca/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
dir = $dir/ca
database = \$dir/index.txt
new_certs_dir = \$dir
certificate = $dir/ca.pem
private_key = $dir/ca/ca.key
rand_serial = yes
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::FIXTURE_SAN
EOF
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 7 \
    -subj "/CN=offboard test CA" -keyout "$dir/ca/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>"$dir/openssl.log" || die "openssl req (CA) failed: $(cat "$dir/openssl.log")"

  local cert san dates
  for cert in "${certs[@]}"; do
    case $cert in
      good) san=$(san_of "$names"); dates=(-days 7) ;;
      wrongname) san=DNS:mta-sts.other.example; dates=(-days 7) ;;
      expired) san=$(san_of "$names"); dates=(-startdate 20200101000000Z -enddate 20200201000000Z) ;;
    esac
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/CN=$cert" -keyout "$dir/$cert.key" -out "$dir/ca/$cert.csr" \
      2>>"$dir/openssl.log" || die "openssl req ($cert) failed: $(cat "$dir/openssl.log")"
    FIXTURE_SAN=$san openssl ca -batch -notext -config "$dir/ca/ca.cnf" -extensions server \
      "${dates[@]}" -in "$dir/ca/$cert.csr" -out "$dir/$cert.pem" \
      2>>"$dir/openssl.log" || die "openssl ca ($cert) failed: $(cat "$dir/openssl.log")"
  done
}

start() {
  local dir cert
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  make_pki "$dir"
  for cert in "${certs[@]}"; do
    rm -f "$dir/$cert.port"
    python3 "$here/https_policy_server.py" --bind 127.0.0.1 --port-file "$dir/$cert.port" \
      --cert "$dir/$cert.pem" --key "$dir/$cert.key" --root "$dir/root" \
      ${HTTPS_FIXTURE_OWNER:+--watch-pid "$HTTPS_FIXTURE_OWNER"} \
      </dev/null >/dev/null 2>"$dir/$cert.log" &
    echo $! >"$dir/$cert.pid"
  done
  local deadline=$((SECONDS + 10))
  for cert in "${certs[@]}"; do
    while [[ ! -s $dir/$cert.port ]]; do
      if ! running "$(cat "$dir/$cert.pid")"; then
        stop "$dir"
        die "the $cert server exited: $(cat "$dir/$cert.log")"
      fi
      if ((SECONDS >= deadline)); then
        stop "$dir"
        die "the $cert server wrote no port within 10 s: $(cat "$dir/$cert.log")"
      fi
      sleep 0.05
    done
  done
}

# A process that has exited but is not yet reaped (the servers' parent, `start`, is gone, and
# init may take its time) counts as gone.
# Read from /proc (no ps: a minimal Debian has no procps); the process name has no space.
running() {
  local state
  read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" || return 1
  [[ $state != Z ]]
}

# Returns once the servers are gone (killed outright after 5 s), so DIR can be removed.
stop() {
  local dir=$1 cert pids=() pid i
  for cert in "${certs[@]}"; do
    [[ -f $dir/$cert.pid ]] || continue
    pids+=("$(cat "$dir/$cert.pid")")
    rm -f "$dir/$cert.pid"
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 100; i++)); do
      running "$pid" || continue 2
      sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
  done
}

case ${1:-} in
  start) [[ -n ${2:-} ]] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [[ -n ${2:-} ]] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start|stop DIR" ;;
esac
