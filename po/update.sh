#!/usr/bin/env bash
# Extracts every marked message from the sources into po/offboard.pot and merges it into each
# po/<lang>.po (new messages arrive empty, changed ones marked fuzzy, for the translator).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
po/extract.sh po/offboard.pot
for po in po/*.po; do
  msgmerge --quiet --update --backup=none --no-wrap "$po" po/offboard.pot
done
