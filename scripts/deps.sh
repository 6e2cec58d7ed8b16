#!/usr/bin/env bash
# Installs everything offboard needs to build and test, from a minimal Debian 12.
#
# - Skips apt entirely when every package is already installed, so a rerun is fast.
# - Needs root to install; without root and with packages missing it says which and exits 1.
# - NSD and Unbound are installed for the end-to-end tests only: their system services must
#   never run (the tests start their own servers on 127.0.0.0/8), so service starts are
#   denied during the install and anything that started anyway is stopped.
set -euo pipefail

# One package a line: adding a dependency is adding a line.
PACKAGES=(
  # toolchain
  g++
  cmake
  make
  pkg-config
  # libraries (headers)
  libc-ares-dev
  libldns-dev
  libcli11-dev
  doctest-dev
  nlohmann-json3-dev
  libfmt-dev
  libsqlite3-dev
  libidn2-dev
  libcurl4-openssl-dev  # MTA-STS policies over HTTPS (RFC 8461 §3.3), verified with OpenSSL
  openssl  # tests/e2e/test_mta_sts.sh: the test's own CA and server certificates
  gettext  # msgfmt compiles po/*.po at build time; xgettext and msgcmp check them (tests)
  libmimalloc-dev  # the offboard binary's allocator (CMakeLists.txt: OFFBOARD_MIMALLOC)
  # end-to-end tests: real DNS servers on loopback, dig, zone checkers
  nsd
  unbound
  dnsutils
  ldnsutils
  # tests/e2e/test_scan.sh: JSON comparisons and a packet-dropping relay
  jq
  python3
  parallel  # tests/e2e/test_scan_shards.sh: a sharded scan run with GNU parallel, as the README's recipe
  # bench/scan.sh (not run by CI): the tools offboard scan is measured against
  dnsperf
  hyperfine
  time  # bench/plan.sh, bench/authoritative.sh: peak RSS (/usr/bin/time -v)
  # end-to-end test of the HTML runbook: rendered in headless Chromium (tests/e2e/test_html_chromium.sh)
  chromium
  # end-to-end test of the Markdown runbook: rendered by GitHub's CommonMark (tests/e2e/test_markdown_cmark.sh)
  cmark-gfm
  # CI formats (tests/e2e/test_ci_formats.sh): Microsoft's SARIF validator is an npm package (a
  # .NET program that needs ICU, installed below); xmllint checks the JUnit against its XSD
  nodejs
  libicu72
  libxml2-utils
  # flock (per-test address allocation), unshare (the fault tests' private loopback-only
  # network) and the usual base tools
  util-linux
  coreutils
  ca-certificates
  # fault tests: `ip link set lo up` inside that network namespace
  iproute2
  # packaging (cpack -G DEB: dpkg-shlibdeps computes Depends) and tests/e2e/test_package.sh
  dpkg-dev
  file
  groff-base  # the man page check: groff -man -ww
  man-db      # man --warnings -l, man -w
  # fuzzing: libFuzzer with ASan/UBSan (OFFBOARD_FUZZ=ON, scripts/reliability.sh)
  clang
  libclang-rt-14-dev
)

# npm: some nodejs builds carry it (and conflict with Debian's npm package); Debian's nodejs
# does not, so Debian's npm is asked for only when there is no npm at all.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

# Microsoft's SARIF validator (Sarif.Multitool), a pinned version from the npm registry, in
# .tools/ of the repository (git-ignored): tests/e2e/test_ci_formats.sh runs it. Skipped when
# that version is there already. Needs no root; under CI a failed install fails deps.sh, on a
# developer's machine it is a warning (the test then skips).
SARIF_MULTITOOL_VERSION=5.7.0
SARIF_MULTITOOL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/sarif-multitool
install_sarif_multitool() {
  local pkg=$SARIF_MULTITOOL_DIR/node_modules/@microsoft/sarif-multitool-linux
  if [[ -x $pkg/Sarif.Multitool ]] &&
    grep -qs "\"version\": \"$SARIF_MULTITOOL_VERSION\"" "$pkg/package.json"; then
    echo "deps: Sarif.Multitool $SARIF_MULTITOOL_VERSION already installed"
    return 0
  fi
  echo "deps: installing @microsoft/sarif-multitool-linux@$SARIF_MULTITOOL_VERSION into $SARIF_MULTITOOL_DIR"
  mkdir -p "$SARIF_MULTITOOL_DIR"
  if command -v npm >/dev/null 2>&1 &&
    npm install --prefix "$SARIF_MULTITOOL_DIR" --no-save --no-audit --no-fund --loglevel=error \
      "@microsoft/sarif-multitool-linux@$SARIF_MULTITOOL_VERSION" &&
    [[ -x $pkg/Sarif.Multitool ]]; then
    return 0
  fi
  echo "deps: could not install Sarif.Multitool $SARIF_MULTITOOL_VERSION" >&2
  [[ "${CI:-}" != true ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages already installed"
  install_sarif_multitool
  exit 0
fi

echo "deps: missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: not root: install them with" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Deny service starts while packages install (invoke-rc.d honours policy-rc.d, exit 101 =
# "action forbidden"). Leave an existing policy in place; remove only the one we created.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, written by offboard scripts/deps.sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if ((created_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

# Make sure no system DNS service is left running or bound to port 53.
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
  for unit in nsd.service unbound.service unbound-resolvconf.service; do
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi
# Without systemd nothing should have started; stop a daemon found through its own pidfile.
for pair in nsd:/run/nsd/nsd.pid unbound:/run/unbound.pid; do
  name=${pair%%:*} pidfile=${pair#*:}
  [[ -r $pidfile ]] || continue
  pid=$(<"$pidfile")
  if [[ $pid =~ ^[0-9]+$ && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "/usr/sbin/$name" ]]; then
    echo "deps: stopping the system $name service (pid $pid)"
    kill "$pid" || true
  fi
done

echo "deps: installed ${missing[*]}"
install_sarif_multitool
