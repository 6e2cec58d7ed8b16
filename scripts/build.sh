#!/usr/bin/env bash
# Configures and builds offboard in ./build. Extra arguments go to the cmake configure step
# (e.g. scripts/build.sh -DOFFBOARD_WERROR=ON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build -j"$(nproc)"
