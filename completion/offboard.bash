# bash completion for offboard(1)                                      -*- shell-script -*-
#
# Installed as share/bash-completion/completions/offboard, where bash-completion loads it the
# first time `offboard <TAB>` is pressed; or source it from ~/.bashrc.
#
# Static and fast: it runs nothing (no `offboard` call, no state read). It completes the
# subcommands, each subcommand's flags, the values of --format (per subcommand), --color and
# --lang, file names for --tenant, --state, --root-hints, --resolv-conf, --ca-file and scan's input,
# directories for --zones, and step identifiers for ack, waive and revoke (the per-domain ones
# up to their ':'; the domain is the user's to type).
#
# A new flag, format or step action is added here and in docs/offboard.1 together
# (tests/e2e/test_package.sh compares both with `offboard SUBCOMMAND --help`).

_offboard_subcommands="check scan plan gate ack waive revoke status history catalogue"

# Flags shared by the commands that resolve (SPEC §2), the tenant and the state.
_offboard_source_flags="--resolver --authoritative --root-hints --zones --timeout --tries --resolv-conf --concurrency --ca-file --fetch-timeout"
_offboard_tenant_flags="--tenant --new-mx --new-ns"
_offboard_state_flags="--state --now"

# _offboard_flags SUBCOMMAND: every flag SUBCOMMAND takes (with --help and the global --lang).
_offboard_flags() {
  local common="--help --lang"
  case $1 in
    check) echo "$common $_offboard_source_flags --format --color" ;;
    scan) echo "$common $_offboard_source_flags --rate --stats --threads --shard --no-shared-answers" ;;
    plan) echo "$common $_offboard_tenant_flags $_offboard_source_flags $_offboard_state_flags --format --color --verbose" ;;
    gate) echo "$common $_offboard_tenant_flags $_offboard_source_flags $_offboard_state_flags --format --color" ;;
    ack) echo "$common --by --note $_offboard_state_flags" ;;
    waive | revoke) echo "$common --by --reason $_offboard_state_flags" ;;
    status) echo "$common $_offboard_tenant_flags $_offboard_source_flags $_offboard_state_flags --format" ;;
    history) echo "$common --state --format --all --domain --since" ;;
    catalogue) echo "$common --format" ;;
    *) echo "--help --version --lang" ;;
  esac
}

# _offboard_formats SUBCOMMAND: the values its --format accepts.
_offboard_formats() {
  case $1 in
    check) echo "text json markdown" ;;
    plan) echo "text markdown json html zone" ;;
    gate) echo "text json junit sarif" ;;
    status | history | catalogue) echo "text json" ;;
  esac
}

# Step identifiers (SPEC §4): tenant-wide ones whole, per-domain ones as "action:".
_offboard_tenant_steps="confirm-admin-role reduce-licenses notify-users backup-data set-default-domain cancel-subscription uninstall-office"
_offboard_manual_domain_steps="move-users-off-domain: defederate-domain: remove-domain:"
_offboard_dns_domain_steps="prepare-new-dns-host: update-mta-sts: update-mx: update-spf: remove-autodiscover: remove-dkim: remove-msoid: remove-teams-records: remove-mdm-records: remove-verification-records: switch-ns: wait-propagation:"

# _offboard_reply WORDS: COMPREPLY = the WORDS that start with $cur.
_offboard_reply() {
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

_offboard_files() {
  compopt -o filenames 2>/dev/null || true
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

_offboard_dirs() {
  compopt -o filenames 2>/dev/null || true
  mapfile -t COMPREPLY < <(compgen -d -- "$cur")
}

# _offboard_takes_value FLAG: FLAG is followed by its value.
_offboard_takes_value() {
  case $1 in
    --authoritative | --stats | --no-shared-answers | --verbose | -v | --all | --help | -h | --version | --*=*) return 1 ;;
    -*) return 0 ;;
  esac
  return 1
}

_offboard() {
  COMPREPLY=()
  local cword=$COMP_CWORD
  local -a words=("${COMP_WORDS[@]}")
  local cur=${words[cword]:-} prev=""
  ((cword > 0)) && prev=${words[cword - 1]}
  # "--format=js": bash splits at '=' (COMP_WORDBREAKS) into "--format" "=" "js".
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && ((cword > 1)); then
    prev=${words[cword - 2]}
  fi

  # The subcommand (the first word that is neither a flag nor a flag's value) and how many
  # positional arguments follow it before the cursor.
  local sub="" positionals=0 i w
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if [[ $w == -* ]]; then
      [[ ${words[i + 1]:-} == "=" ]] && ((i += 2)) && continue
      _offboard_takes_value "$w" && ((i += 1))
      continue
    fi
    if [[ -z $sub ]]; then sub=$w; else ((positionals += 1)); fi
  done

  # The value of the flag before the cursor.
  case $prev in
    --lang)
      _offboard_reply "en nl"
      return 0
      ;;
    --color)
      _offboard_reply "auto always never"
      return 0
      ;;
    --format)
      _offboard_reply "$(_offboard_formats "$sub")"
      return 0
      ;;
    --tenant | --state | --root-hints | --resolv-conf | --ca-file)
      _offboard_files
      return 0
      ;;
    --zones)
      _offboard_dirs
      return 0
      ;;
    --resolver | --timeout | --tries | --concurrency | --rate | --threads | --shard | --new-mx | --new-ns | --now | --by | --note | --reason | --domain | --since)
      return 0 # a value only the user knows
      ;;
  esac
  # After "=" of any other flag: nothing to offer.
  [[ ${words[cword]:-} == "=" || $prev != "${words[cword - 1]:-}" ]] && return 0

  if [[ -z $sub ]]; then
    if [[ $cur == -* ]]; then
      _offboard_reply "--help --version --lang"
    else
      _offboard_reply "$_offboard_subcommands"
    fi
    return 0
  fi

  if [[ $cur == -* ]]; then
    _offboard_reply "$(_offboard_flags "$sub")"
    return 0
  fi

  # Positional arguments: scan's input file; the step of ack, waive and revoke.
  ((positionals == 0)) || return 0
  local steps=""
  case $sub in
    scan)
      _offboard_files
      return 0
      ;;
    ack) steps="$_offboard_tenant_steps $_offboard_manual_domain_steps" ;;
    waive | revoke) steps="$_offboard_tenant_steps $_offboard_manual_domain_steps $_offboard_dns_domain_steps" ;;
    *) return 0 ;;
  esac
  # "remove-domain:con": ':' is a word break too; the domain after it is the user's to type.
  [[ $prev == ":" || $cur == ":" ]] && return 0
  _offboard_reply "$steps"
  if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *: ]]; then
    compopt -o nospace 2>/dev/null || true
  fi
  return 0
}

complete -F _offboard offboard
