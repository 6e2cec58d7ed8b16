#!/usr/bin/env bash
# Writes the message template (every marked message in the sources) to $1.
# The marking calls are src/core/i18n.h's: tr, trf, trn:1,2, trnf:1,2 and N_.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
find src checks resolvers -name '*.cc' -o -name '*.h' | LC_ALL=C sort |
  xgettext --files-from=- --language=C++ --from-code=UTF-8 --no-wrap --sort-by-file \
    --keyword= --keyword=tr --keyword=trf --keyword=trn:1,2 --keyword=trnf:1,2 --keyword=N_ \
    --package-name=offboard --msgid-bugs-address=https://example.invalid/offboard/issues \
    --add-comments=TRANSLATORS: --output="$1"
