#!/usr/bin/env bash
# Installs the dependencies, builds, and checks the four demo domains against the fixture
# zone files (offline: no network). See fixtures/zones/README.md for what each domain shows.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
scripts/build.sh

echo
echo "\$ offboard check contoso.com fabrikam.com tailspintoys.com wingtiptoys.com --zones fixtures/zones"
# check exits 1 when something still points at Microsoft 365, which is the point of the demo.
status=0
./build/offboard check contoso.com fabrikam.com tailspintoys.com wingtiptoys.com \
  --zones fixtures/zones || status=$?
echo
echo "(offboard exited $status: 0 clear, 1 points at Microsoft 365, 3 indeterminate)"
if ! ((status == 0 || status == 1 || status == 3)); then exit "$status"; fi

# The runbook for the same tenant, with a throw-away state file.
state_dir=$(mktemp -d)
trap 'rm -rf "$state_dir"' EXIT
echo
echo "\$ offboard plan --tenant fixtures/tenants/demo.json --zones fixtures/zones"
status=0
./build/offboard plan --tenant fixtures/tenants/demo.json --zones fixtures/zones \
  --state "$state_dir/offboard.db" || status=$?
echo
echo "(offboard plan exited $status: 0 every step done, 1 steps still open, 3 evidence missing)"
if ((status == 0 || status == 1 || status == 3)); then exit 0; fi
exit "$status"
