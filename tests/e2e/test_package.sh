#!/usr/bin/env bash
# Installing and packaging, end to end, from the build tree that holds $OFFBOARD:
#   - `cmake --install` into a DESTDIR (prefix /usr) puts exactly the expected files in their
#     Debian places: bin/offboard, share/man/man1/offboard.1.gz (docs/offboard.1, compressed),
#     share/bash-completion/completions/offboard, share/doc/offboard/README.md, and a message
#     catalogue share/locale/LANG/LC_MESSAGES/offboard.mo for every po/LANG.po of the source;
#   - the installed binary runs (--version names the project's version) and finds its installed
#     catalogue (no "continuing in English"; and it does complain once the catalogue is moved away);
#   - the manual page renders without a warning (man --warnings, groff -ww), names the
#     project's version, and documents every command and every flag `--help` lists, the exit
#     statuses, the environment and the state file;
#   - the installed completion registers itself (complete -p offboard) and completes the
#     subcommands, each subcommand's flags (exactly those of its --help), the --format values
#     of each subcommand (exactly those its --help accepts), --color, --lang, files and
#     directories;
#   - `cpack -G DEB` builds offboard_VERSION_ARCH.deb holding the same files, whose control
#     data names the package, version and architecture and Depends on libc-ares2, libldns3 and
#     libsqlite3-0 (computed by dpkg-shlibdeps), with a stripped binary that runs;
#   - as root with OFFBOARD_TEST_INSTALL=1 (scripts/test.sh sets it for CI): `apt-get install`
#     of that package, /usr/bin/offboard --version, `man -w offboard`, and `apt-get remove`.
# Nothing is sent on the network; nothing outside $WORK is written (but cmake's install_manifest.txt
# in the build tree) unless OFFBOARD_TEST_INSTALL=1.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init package

BUILD=$(cd "$(dirname "$OFFBOARD")" && pwd)
[[ -f $BUILD/CMakeCache.txt && -f $BUILD/CPackConfig.cmake ]] ||
  fail "$BUILD (the directory of \$OFFBOARD) is not a configured build tree of offboard"

for tool in cmake cpack dpkg-deb dpkg-shlibdeps man groff gzip file; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [[ "${CI:-}" == true ]]; then fail "$tool is not installed (scripts/deps.sh)"; fi
    echo "SKIP [$E2E_NAME]: $tool is not installed (scripts/deps.sh)" >&2
    exit 77
  fi
done

VERSION=$(sed -nE 's/^project\(offboard VERSION ([0-9.]+).*/\1/p' "$SRC/CMakeLists.txt")
[[ -n $VERSION ]] || fail "no project(offboard VERSION …) in CMakeLists.txt"

# The catalogues the source tree has: one installed .mo per po/LANG.po (po/nl.po among them
# once the Dutch translation exists).
LANGS=()
for po in "$SRC"/po/*.po; do
  [[ -f $po ]] && LANGS+=("$(basename "$po" .po)")
done

# The files an install must hold (relative to the prefix /usr), and nothing else.
EXPECTED=(bin/offboard share/bash-completion/completions/offboard share/doc/offboard/README.md
  share/man/man1/offboard.1.gz)
for l in "${LANGS[@]}"; do EXPECTED+=("share/locale/$l/LC_MESSAGES/offboard.mo"); done
EXPECTED_LIST=$(printf '%s\n' "${EXPECTED[@]}" | LC_ALL=C sort)

# assert_empty TEXT WHAT: TEXT (usually a command's stderr) must be empty.
assert_empty() {
  if [[ -n $1 ]]; then
    printf '%s\n' "$1" | sed 's/^/    | /' >&2
    fail "$2 is not empty"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# Everything the binary says, in English whatever the machine's locale is.
export LC_ALL=C
unset LANGUAGE OFFBOARD_LOCALEDIR

# --- 1. cmake --install ------------------------------------------------------------------------
note "1. cmake --install into a DESTDIR"
DEST=$WORK/destdir
assert_exit 0 env DESTDIR="$DEST" cmake --install "$BUILD" --prefix /usr
[[ -d $DEST/usr ]] || fail "nothing was installed under $DEST/usr"
assert_eq "$EXPECTED_LIST" "$(cd "$DEST/usr" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort)" \
  "the files cmake --install put under the prefix"
[[ -x $DEST/usr/bin/offboard ]] || fail "usr/bin/offboard is not executable"
cmp -s "$DEST/usr/share/bash-completion/completions/offboard" "$SRC/completion/offboard.bash" ||
  fail "the installed completion is not completion/offboard.bash"
zcat "$DEST/usr/share/man/man1/offboard.1.gz" | cmp -s - "$SRC/docs/offboard.1" ||
  fail "the installed manual page is not docs/offboard.1"
cmp -s "$DEST/usr/share/doc/offboard/README.md" "$SRC/README.md" || fail "the installed README is not README.md"
for l in "${LANGS[@]}"; do
  mo=$DEST/usr/share/locale/$l/LC_MESSAGES/offboard.mo
  # A GNU .mo file starts with the magic number 0x950412de, in either byte order.
  magic=$(od -An -tx1 -N4 "$mo" | tr -d ' \n')
  [[ $magic == de120495 || $magic == 950412de ]] || fail "$mo is not a compiled message catalogue"
done
E2E_CHECKS=$((E2E_CHECKS + 4))

# --- 2. the installed binary --------------------------------------------------------------------
note "2. the installed binary"
INSTALLED=$DEST/usr/bin/offboard
assert_exit 0 "$INSTALLED" --version
assert_contains "$OUT" "offboard $VERSION (" "--version of the installed binary"
assert_contains "$OUT" "c-ares" "--version of the installed binary"
for l in "${LANGS[@]}"; do
  # The catalogue is found next to the binary (../share/locale), as it will be under /usr.
  assert_exit 0 "$INSTALLED" --lang "$l" --version
  assert_empty "$ERR" "stderr of the installed binary with --lang $l"
  # ...and only because it is there: moved away, the binary says it continues in English
  # (unless the build's own install prefix already holds a catalogue it would find instead).
  prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
  mo=$DEST/usr/share/locale/$l/LC_MESSAGES/offboard.mo
  if [[ ! -e $prefix/share/locale/$l/LC_MESSAGES/offboard.mo ]]; then
    mv "$mo" "$mo.away"
    assert_exit 0 "$INSTALLED" --lang "$l" --version
    [[ -n $ERR ]] || fail "--lang $l without an installed catalogue says nothing: the check above proves nothing"
    mv "$mo.away" "$mo"
  fi
done

# --- 3. the manual page -------------------------------------------------------------------------
note "3. the manual page"
for page in "$SRC/docs/offboard.1" "$DEST/usr/share/man/man1/offboard.1.gz"; do
  warnings=$(MANWIDTH=100 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page failed"
  assert_empty "$warnings" "man --warnings -l $page"
done
warnings=$(groff -man -ww -z "$SRC/docs/offboard.1" 2>&1) || fail "groff -man failed"
assert_empty "$warnings" "groff -man -ww -z docs/offboard.1"
assert_eq "$VERSION" "$(sed -nE 's/^\.TH OFFBOARD 1 [^ ]+ "offboard ([^"]+)".*/\1/p' "$SRC/docs/offboard.1")" \
  "the version in the manual page's .TH line"
MAN_TEXT=$(MANWIDTH=200 man -l "$DEST/usr/share/man/man1/offboard.1.gz" 2>/dev/null)
# man_section NAME: the rendered text of section NAME, up to the next section heading.
man_section() {
  awk -v name="$1" '$0 == name { f = 1; next } f && /^[A-Z]/ { exit } f' <<<"$MAN_TEXT"
}
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
  grep -qx "$section" <<<"$MAN_TEXT" || fail "the manual page has no $section section"
done
for code in 0 1 2 3 4; do
  grep -qE "^ +$code( |$)" <<<"$(man_section "EXIT STATUS")" ||
    fail "EXIT STATUS does not describe exit status $code"
done
for var in LC_ALL LC_MESSAGES LANG LANGUAGE NO_COLOR TERM OFFBOARD_LOCALEDIR; do
  grep -qw -- "$var" <<<"$(man_section ENVIRONMENT)" || fail "ENVIRONMENT does not describe $var"
done
assert_contains "$(man_section FILES)" "offboard.db" "the FILES section"
E2E_CHECKS=$((E2E_CHECKS + 21))

# The commands and flags, as the binary itself lists them.
# subcommands: the names under "Subcommands:" in `offboard --help`.
assert_exit 0 "$INSTALLED" --lang en --help
mapfile -t SUBCOMMANDS < <(awk '/^Subcommands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { f = 0 }' <<<"$OUT")
((${#SUBCOMMANDS[@]} >= 10)) || fail "offboard --help lists ${#SUBCOMMANDS[@]} subcommands: ${SUBCOMMANDS[*]}"
GLOBAL_HELP=$OUT
# help_flags HELP: the long flags of the option lines of a --help text, one a line, sorted.
help_flags() {
  grep -E '^  (-[a-zA-Z], *)?--[a-z]' <<<"$1" | sed -E 's/^  (-[a-zA-Z], *)?(--[a-z][a-z0-9-]*).*/\2/' | LC_ALL=C sort -u
}
# help_values HELP FLAG: the values FLAG accepts, from "FLAG TEXT:{a,b,c}", one a line, sorted.
help_values() {
  grep -E "^  $2 [A-Z]+:\{" <<<"$1" | sed -E 's/.*:\{([^}]*)\}.*/\1/' | tr ',' '\n' | LC_ALL=C sort -u
}
GLOBAL_FLAGS=$(help_flags "$GLOBAL_HELP")
for f in --help --version --lang; do
  grep -qx -- "$f" <<<"$GLOBAL_FLAGS" || fail "offboard --help does not list $f"
  grep -qF -- "$f" <<<"$MAN_TEXT" || fail "the manual page does not document $f"
done
declare -A SUB_HELP=()
for sub in "${SUBCOMMANDS[@]}"; do
  assert_exit 0 "$INSTALLED" --lang en "$sub" --help
  SUB_HELP[$sub]=$OUT
  grep -qE "^ +$sub( |$)" <<<"$(man_section COMMANDS)" ||
    fail "the COMMANDS section of the manual page has no entry for $sub"
  grep -qE "^ +offboard $sub( |$)" <<<"$MAN_TEXT" || fail "the SYNOPSIS does not show offboard $sub"
  for f in $(help_flags "$OUT"); do
    grep -qF -- "$f" <<<"$MAN_TEXT" || fail "the manual page does not document $f (offboard $sub --help lists it)"
    E2E_CHECKS=$((E2E_CHECKS + 1))
  done
  for v in $(help_values "$OUT" --format); do
    grep -qE -- "(^|[ ,(])$v([ ,;.)]|$)" <<<"$(sed -nE '/^ +--format FORMAT$/,/^ +--color/p' <<<"$MAN_TEXT")" ||
      fail "the manual page's --format does not name $v (offboard $sub --help accepts it)"
  done
done

# --- 4. bash completion -------------------------------------------------------------------------
note "4. bash completion"
COMPLETION=$DEST/usr/share/bash-completion/completions/offboard
assert_exit 0 bash -c 'source "$1" && complete -p offboard' _ "$COMPLETION"
assert_eq "complete -F _offboard offboard" "$OUT" "complete -p offboard"
# complete WORD...: what the completion offers for the command line WORD... (the last word is
# the one being completed), one candidate a line, sorted. Run in a fresh non-interactive bash.
complete_words() {
  bash -c 'source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _offboard offboard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@" | sed '/^$/d' | LC_ALL=C sort -u
}
assert_eq "check" "$(complete_words offboard ch)" "completion of 'offboard ch'"
assert_eq "$(printf '%s\n' "${SUBCOMMANDS[@]}" | LC_ALL=C sort)" "$(complete_words offboard "")" \
  "completion of 'offboard ' (the subcommands of offboard --help)"
# The plan formats (SPEC §4), and exactly what `offboard plan --help` accepts (below).
PLAN_FORMATS=$(complete_words offboard plan --format "")
for f in text markdown json html; do
  grep -qx "$f" <<<"$PLAN_FORMATS" || fail "completion of 'offboard plan --format ' does not offer $f: [$PLAN_FORMATS]"
  E2E_CHECKS=$((E2E_CHECKS + 1))
done
LANG_VALUES=$(help_values "$GLOBAL_HELP" --lang)
assert_eq "${LANG_VALUES:-$'en\nnl'}" "$(complete_words offboard --lang "")" "completion of 'offboard --lang '"
assert_eq "$(complete_words offboard --lang "")" "$(complete_words offboard check --lang "")" \
  "completion of --lang after a subcommand"
for sub in "${SUBCOMMANDS[@]}"; do
  help=${SUB_HELP[$sub]}
  # Every flag of the subcommand, and nothing else (--lang is global: offered everywhere).
  assert_eq "$(help_flags "$help" | grep -vx -- --lang)" \
    "$(complete_words offboard "$sub" -- | grep -vx -- --lang)" "completion of 'offboard $sub --'"
  if grep -qx -- --format <<<"$(help_flags "$help")"; then
    values=$(help_values "$help" --format)
    [[ -n $values ]] || fail "offboard $sub --help lists no values for --format"
    assert_eq "$values" "$(complete_words offboard "$sub" --format "")" "completion of 'offboard $sub --format '"
    assert_eq "$values" "$(complete_words offboard "$sub" --format = "")" "completion of 'offboard $sub --format='"
  fi
  if grep -qx -- --color <<<"$(help_flags "$help")"; then
    assert_eq "$(help_values "$help" --color)" "$(complete_words offboard "$sub" --color "")" \
      "completion of 'offboard $sub --color '"
  fi
done
# Files for --tenant, --state and scan's input; directories only for --zones.
assert_contains "$(complete_words offboard plan --tenant "$SRC/fixtures/tenants/de")" \
  "$SRC/fixtures/tenants/demo.json" "completion of --tenant"
assert_contains "$(complete_words offboard gate --state "$SRC/fixtures/tenants/de")" \
  "$SRC/fixtures/tenants/demo.json" "completion of --state"
assert_contains "$(complete_words offboard scan "$SRC/fixtures/tenants/de")" \
  "$SRC/fixtures/tenants/demo.json" "completion of scan's input"
assert_eq "$SRC/fixtures/zones" "$(complete_words offboard check --zones "$SRC/fixtures/zo")" "completion of --zones"
assert_eq "" "$(complete_words offboard check --zones "$SRC/fixtures/zones/contoso")" \
  "completion of --zones (directories only)"
# Step identifiers: manual ones for ack, every kind for waive and revoke.
assert_eq "notify-users" "$(complete_words offboard ack noti)" "completion of 'offboard ack noti'"
assert_eq "remove-domain:" "$(complete_words offboard ack remove-d)" "completion of 'offboard ack remove-d'"
assert_eq "" "$(complete_words offboard ack update-m)" "completion of 'offboard ack update-m' (a DNS step)"
assert_eq "$(printf "update-mta-sts:\nupdate-mx:")" "$(complete_words offboard waive update-m)" "completion of 'offboard waive update-m'"

# --- 5. cpack -G DEB ----------------------------------------------------------------------------
note "5. cpack -G DEB"
ARCH=$(dpkg --print-architecture)
# The package directory is this test's (-B); the build tree itself is only read.
(cd "$WORK" && cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$WORK/deb") >"$WORK/cpack.log" 2>&1 || {
  sed 's/^/    | /' "$WORK/cpack.log" >&2
  fail "cpack -G DEB failed"
}
DEB=$WORK/deb/offboard_${VERSION}_$ARCH.deb
[[ -f $DEB ]] || { ls -la "$WORK/deb" >&2; fail "cpack made no $(basename "$DEB")"; }
E2E_CHECKS=$((E2E_CHECKS + 1))
assert_exit 0 dpkg-deb -c "$DEB"
assert_eq "$EXPECTED_LIST" "$(awk '$1 !~ /^d/ { print $6 }' <<<"$OUT" | sed 's|^\./usr/||' | LC_ALL=C sort)" \
  "the files of the package, under /usr"
assert_exit 0 dpkg-deb -I "$DEB"
CONTROL=$OUT
assert_eq offboard "$(dpkg-deb -f "$DEB" Package)" "Package"
assert_eq "$VERSION" "$(dpkg-deb -f "$DEB" Version)" "Version"
assert_eq "$ARCH" "$(dpkg-deb -f "$DEB" Architecture)" "Architecture"
[[ -n $(dpkg-deb -f "$DEB" Maintainer) ]] || fail "the package has no Maintainer"
[[ -n $(dpkg-deb -f "$DEB" Section) ]] || fail "the package has no Section"
assert_contains "$CONTROL" "Description: " "dpkg-deb -I"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
for dep in libc-ares2 libldns3 libsqlite3-0 libc6; do
  grep -qx -- "$dep" <<<"$(tr ',' '\n' <<<"$DEPENDS" | sed -E 's/^ +//; s/[ (].*//')" ||
    fail "Depends ($DEPENDS) does not name $dep"
  E2E_CHECKS=$((E2E_CHECKS + 1))
done
# The packaged binary is stripped and runs.
mkdir -p "$WORK/deb-x"
dpkg-deb -x "$DEB" "$WORK/deb-x"
assert_contains "$(file -b "$WORK/deb-x/usr/bin/offboard")" ", stripped" "file usr/bin/offboard (packaged)"
assert_exit 0 "$WORK/deb-x/usr/bin/offboard" --version
assert_contains "$OUT" "offboard $VERSION (" "--version of the packaged binary"

# --- 6. apt-get install, for real (root, OFFBOARD_TEST_INSTALL=1) -------------------------------
if [[ "${OFFBOARD_TEST_INSTALL:-0}" != 1 ]]; then
  note "6. skipped: set OFFBOARD_TEST_INSTALL=1 (as root) to install the package with apt-get"
elif [[ $(id -u) -ne 0 ]]; then
  fail "OFFBOARD_TEST_INSTALL=1 needs root (apt-get install)"
elif [[ $(dpkg-query -W -f='${db:Status-Status}' offboard 2>/dev/null || true) == installed ]]; then
  fail "a package offboard is installed already: remove it first (apt-get remove offboard); this test does not replace it"
else
  note "6. apt-get install $(basename "$DEB")"
  INSTALLED_BY_US=0
  remove_package() {
    if ((INSTALLED_BY_US)); then
      DEBIAN_FRONTEND=noninteractive apt-get remove -y -o DPkg::Lock::Timeout=120 offboard >"$WORK/apt-remove.log" 2>&1 || true
    fi
  }
  trap 'rc=$?; remove_package; (exit $rc); e2e_on_exit' EXIT
  INSTALLED_BY_US=1
  assert_exit 0 env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=120 "$DEB"
  assert_eq installed "$(dpkg-query -W -f='${db:Status-Status}' offboard)" "dpkg status of offboard"
  assert_exit 0 /usr/bin/offboard --version
  assert_contains "$OUT" "offboard $VERSION (" "/usr/bin/offboard --version"
  for l in "${LANGS[@]}"; do
    assert_exit 0 /usr/bin/offboard --lang "$l" --version
    assert_empty "$ERR" "stderr of /usr/bin/offboard --lang $l"
  done
  # dpkg may be told not to unpack manual pages (path-exclude, as slim container images do).
  if grep -hqsE '^path-exclude=?/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
    note "dpkg excludes /usr/share/man on this machine (/etc/dpkg/dpkg.cfg.d): man -w not checked"
  else
    assert_exit 0 man -w offboard
    assert_eq /usr/share/man/man1/offboard.1.gz "$OUT" "man -w offboard"
  fi
  assert_exit 0 bash -c 'source /usr/share/bash-completion/completions/offboard && complete -p offboard'
  assert_exit 0 env DEBIAN_FRONTEND=noninteractive apt-get remove -y -o DPkg::Lock::Timeout=120 offboard
  INSTALLED_BY_US=0
  [[ ! -e /usr/bin/offboard ]] || fail "/usr/bin/offboard is still there after apt-get remove"
  assert_not_contains "$(dpkg-query -W -f='${db:Status-Status}' offboard 2>/dev/null || true)" installed \
    "dpkg status of offboard after apt-get remove"
fi

exit 0
