#!/usr/bin/env bash
# Installs the dependencies, builds with warnings as errors, and runs every test (unit and
# end-to-end) through ctest. Exits with ctest's exit code.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
scripts/build.sh -DOFFBOARD_WERROR=ON

status=0
ctest --test-dir build --output-on-failure -j2 || status=$?
exit "$status"
