#!/usr/bin/env bash
# The catalogue test (ctest i18n_catalogues): every message marked in the sources is in every
# po/<lang>.po, translated and not fuzzy, and every translation keeps the {placeholders} of its
# English. Fails naming each message that is not.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
po/extract.sh "$work/offboard.pot"
status=0
for po in po/*.po; do
  # Missing, untranslated or fuzzy messages (msgcmp counts fuzzy ones as untranslated).
  if ! msgcmp "$po" "$work/offboard.pot" 2>"$work/msgcmp.log"; then
    grep -v 'warning: this message is not used' "$work/msgcmp.log" >&2 || true
    echo "po/check.sh: $po lacks translations (run po/update.sh, then translate)" >&2
    status=1
  fi
  grep -q 'this message is not used' "$work/msgcmp.log" &&
    echo "po/check.sh: note: $po has messages the sources no longer use (po/update.sh marks them obsolete)" >&2
  # Placeholders: the same set of {name} in msgid and each msgstr.
  msgcat --no-wrap "$po" | awk -v file="$po" '
    function fields(s,   out, n, i, parts) {
      out = ""; n = split(s, parts, "{")
      for (i = 2; i <= n; i++) if (match(parts[i], /^[a-z_]+}/)) out = out " " substr(parts[i], 1, RLENGTH - 1)
      return out
    }
    function sorted(s,   a, n, i, j, t, out) {
      n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      out = ""; for (i = 1; i <= n; i++) if (i == 1 || a[i] != a[i-1]) out = out " " a[i]; return out
    }
    /^msgid / { id = substr($0, 7); want = sorted(fields(id)); next }
    /^msgid_plural / { next }
    /^msgstr/ { s = $0; sub(/^msgstr(\[[0-9]\])? /, "", s)
      if (id != "\"\"" && sorted(fields(s)) != want) { print file ": placeholders differ: " id " -> " s; bad = 1 } }
    END { exit bad }' >&2 || status=1
  msgfmt --check-format --check-header -o /dev/null "$po" || status=1
done
exit "$status"
