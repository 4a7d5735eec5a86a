#!/usr/bin/env bash
# Verify a Tijori webhook with openssl: the body in one file, the headers in another, "Name: value" a line (as
# `curl -D` writes them).
#
#   TIJORI_WEBHOOK_SECRET='whsec_...' ./verify-webhook.sh body.json headers.txt   # status 0 if genuine; else why
#   ./verify-webhook.sh --check < deliveries.tsv                                  # for the test suite, see below
#
# bash, openssl (1.1 or 3) and coreutils. The guide is docs/webhooks.md. openssl takes the key on its command line,
# where other users of the machine can see it (ps): on a shared host, verify in a language instead.
set -euo pipefail

TOLERANCE_SECONDS=300 # 5 minutes each way, as the Standard Webhooks libraries

to_hex() { od -An -v -tx1 | tr -d ' \n'; }
# The key goes to openssl as hex, so that a binary key (Standard Webhooks) survives the shell.
hmac_hex() { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" | sed 's/^.*= //'; }
hmac_base64() { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -binary | openssl base64 -A; }

# header NAME FILE: the value of header NAME (lower case) in FILE, any letter case there, without a trailing CR.
header() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    if [ "$(printf '%s' "${line%%:*}" | tr '[:upper:]' '[:lower:]')" = "$1" ]; then
      line=${line#*:}
      printf '%s' "${line# }"
      return
    fi
  done <"$2"
}

# verify_webhook BODY_FILE HEADERS_FILE SECRET [NOW]: status 0 if the delivery is genuine; otherwise status 1 and
# what to check on stdout. SECRET is the endpoint's signing secret, "whsec_...", whole; NOW is UNIX seconds (the
# system clock unless given).
verify_webhook() {
  local body=$1 headers=$2 secret=$3 now=${4:-$(date +%s)} id timestamp signatures expected entry key
  local candidates=()
  if [[ $secret != whsec_* ]]; then echo "secret must be the endpoint's signing secret, 'whsec_...', whole"; return 1; fi
  id=$(header webhook-id "$headers")
  timestamp=$(header webhook-timestamp "$headers")
  signatures=$(header webhook-signature "$headers")
  if [ -n "$id" ] && [ -n "$timestamp" ] && [ -n "$signatures" ]; then
    # Standard Webhooks: key = base64-decoded secret after "whsec_", message = id.timestamp.body
    expected=$({ printf '%s.%s.' "$id" "$timestamp"; cat "$body"; } | hmac_base64 "$(printf '%s' "${secret#whsec_}" | base64 -d | to_hex)")
    # "v1,<base64>" entries separated by spaces: two while the secret is being rolled. read -a splits without
    # expanding wildcards, which a header could carry.
    read -r -a signatures <<<"$signatures"
    for entry in "${signatures[@]}"; do
      if [[ $entry == v1,* ]]; then candidates+=("${entry#v1,}"); fi
    done
  else
    timestamp=$(header x-timestamp "$headers")
    signatures=$(header x-webhook-signature "$headers")
    [ -n "$signatures" ] || signatures=$(header x-signature "$headers")
    if [ -z "$timestamp" ] || [ -z "$signatures" ]; then
      echo "missing signature headers: pass the request headers unchanged"
      return 1
    fi
    # KwikPaisa: key = the whole secret string, message = body + timestamp
    expected=$({ cat "$body"; printf '%s' "$timestamp"; } | hmac_hex "$(printf '%s' "$secret" | to_hex)")
    read -r -a candidates <<<"$(printf '%s' "$signatures" | tr '[:upper:]' '[:lower:]')"
  fi

  if ! [[ $timestamp =~ ^[0-9]{1,12}$ ]]; then
    echo "the timestamp must be UNIX time in seconds$([ ${#timestamp} = 13 ] && echo ' (13 digits: milliseconds?)')"
    return 1
  fi
  if (( now - 10#$timestamp > TOLERANCE_SECONDS || 10#$timestamp - now > TOLERANCE_SECONDS )); then
    echo "timestamp outside the 5-minute tolerance: check this server's clock (NTP); an old delivery is a replay"
    return 1
  fi
  # The shell's = stops at the first differing byte. Comparing HMACs of both sides under a key drawn for this
  # check instead leaves that timing nothing to tell about the expected signature.
  key=$(openssl rand -hex 32)
  expected=$(printf '%s' "$expected" | hmac_hex "$key")
  for entry in "${candidates[@]}"; do
    [ "$(printf '%s' "$entry" | hmac_hex "$key")" = "$expected" ] && return 0
  done
  echo "no signature matches: verify the raw request body bytes (not re-serialised JSON)" \
    "with this endpoint's secret, in the right mode (sandbox or live)"
  return 1
}

# --check: one delivery a line on stdin, tab-separated: <now, UNIX seconds> <secret> <body base64> <header: value>...,
# and one verdict a line on stdout. The exit status is 1 if any delivery was refused.
if [ "${1:-}" = --check ]; then
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  refused=0
  while IFS=$'\t' read -r -a f; do
    printf '%s' "${f[2]}" | base64 -d >"$dir/body"
    printf '%s\n' "${f[@]:3}" >"$dir/headers"
    if reason=$(verify_webhook "$dir/body" "$dir/headers" "${f[1]}" "${f[0]}"); then
      echo ok
    else
      refused=1
      echo "refused: $reason"
    fi
  done
  exit "$refused"
fi

if [ $# -ne 2 ] || [[ ${TIJORI_WEBHOOK_SECRET:-} != whsec_* ]]; then
  echo "usage: TIJORI_WEBHOOK_SECRET='whsec_...' $0 BODY_FILE HEADERS_FILE" >&2
  exit 2
fi
reason=$(verify_webhook "$1" "$2" "$TIJORI_WEBHOOK_SECRET") || { echo "$reason" >&2; exit 1; }
echo "genuine"
