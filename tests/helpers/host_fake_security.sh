#!/usr/bin/env bash
# Behaves like macOS's /usr/bin/security for the two uses claude-host makes of it, with the
# items kept as files in $FAKE_KEYCHAIN_DIR (one file per service+account):
#   security find-generic-password -s SERVICE -a ACCOUNT -w   -> the secret, or exit 44
#   security -i  (commands on stdin) add-generic-password -U -a "ACCOUNT" -s "SERVICE" -X HEX
# Every invocation's argv is appended to $FAKE_KEYCHAIN_DIR/calls.log (tests check that no
# secret ever appears on a command line).
set -euo pipefail
dir=${FAKE_KEYCHAIN_DIR:?FAKE_KEYCHAIN_DIR must be set}
mkdir -p "$dir"
printf '%s\n' "$*" >> "$dir/calls.log"
item_file() { printf '%s/item.%s.%s' "$dir" "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')" "$2"; }

if [ "${1:-}" = "find-generic-password" ]; then
  shift
  service='' account='' print=0
  while [ $# -gt 0 ]; do
    case "$1" in
      -s) service=$2; shift 2 ;;
      -a) account=$2; shift 2 ;;
      -w) print=1; shift ;;
      *) shift ;;
    esac
  done
  f=$(item_file "$service" "$account")
  if [ ! -f "$f" ]; then
    echo "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain." >&2
    exit 44
  fi
  [ "$print" = 1 ] && cat "$f" && echo
  exit 0
fi

if [ "${1:-}" = "-i" ]; then
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    eval "set -- $line"
    [ "$1" = "add-generic-password" ] || { echo "unknown command: $1" >&2; exit 1; }
    shift
    service='' account='' hex=''
    while [ $# -gt 0 ]; do
      case "$1" in
        -s) service=$2; shift 2 ;;
        -a) account=$2; shift 2 ;;
        -X) hex=$2; shift 2 ;;
        -U) shift ;;
        *) shift ;;
      esac
    done
    printf '%s' "$hex" | xxd -r -p > "$(item_file "$service" "$account")"
  done
  exit 0
fi
echo "fake security: unsupported: $*" >&2
exit 2
