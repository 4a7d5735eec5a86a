#!/usr/bin/env bash
# Sign requests to a Tijori gateway with curl and openssl: create an order, then read its status.
#
#   export TIJORI_BASE_URL=http://127.0.0.1:8080 TIJORI_API_KEY=pk_test_... TIJORI_SECRET_KEY=sk_test_...
#   ./sign-request.sh [order_id]
#
# bash, curl and openssl (1.1 or 3). The signing rules are in the README ("Signing requests").
# openssl takes the key on its command line, where other users of the machine can see it (ps): on a shared host,
# sign in a language instead.
set -euo pipefail

# KwikPaisa v3: hex HMAC-SHA256 of body + timestamp. The body comes on stdin, byte for byte:
#   printf '%s' "$BODY" | sign_v1 "$SECRET" "$TIMESTAMP"
sign_v1() { { cat; printf '%s' "$2"; } | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //'; }

# v2, bound to the endpoint: hex HMAC-SHA256 of METHOD + path (with its query) + body + timestamp:
#   printf '%s' "$BODY" | sign_v2 "$SECRET" POST /api/v3/pg/order/status "$TIMESTAMP"
sign_v2() { { printf '%s%s' "$2" "$3"; cat; printf '%s' "$4"; } | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //'; }

# post NAME PATH BODY VERSION: sends BODY signed with a fresh timestamp and prints "NAME: <HTTP status> <reply>".
# Fails unless the status is 2xx.
post() {
  local name=$1 path=$2 body=$3 version=$4 timestamp signature reply
  timestamp=$(date +%s) # UNIX seconds, not milliseconds
  local headers=(-H 'Content-Type: application/json' -H 'Accept: application/json'
    -H "X-API-KEY: $TIJORI_API_KEY" -H "X-TIMESTAMP: $timestamp")
  if [ "$version" = 2 ]; then
    signature=$(printf '%s' "$body" | sign_v2 "$TIJORI_SECRET_KEY" POST "$path" "$timestamp")
    headers+=(-H "X-SIGNATURE: $signature" -H 'X-SIGNATURE-VERSION: 2')
  else
    signature=$(printf '%s' "$body" | sign_v1 "$TIJORI_SECRET_KEY" "$timestamp")
    headers+=(-H "X-SIGNATURE: $signature")
  fi
  # --data-binary sends the bytes that were signed (--data would drop newlines); -w appends the status.
  reply=$(curl -sS --max-time 30 -w '\n%{http_code}' "${headers[@]}" --data-binary "$body" \
    "${TIJORI_BASE_URL:-http://127.0.0.1:8080}$path")
  echo "$name: ${reply##*$'\n'} ${reply%$'\n'*}"
  [[ ${reply##*$'\n'} == 2?? ]]
}

# --check, for the test suite: tab-separated lines on stdin, one signature a line on stdout.
# v1 <secret> <timestamp> <body base64> | v2 <secret> <timestamp> <method> <path> <body base64>
if [ "${1:-}" = --check ]; then
  while IFS=$'\t' read -r -a f; do
    if [ "${f[0]}" = v1 ]; then
      printf '%s' "${f[3]:-}" | base64 -d | sign_v1 "${f[1]}" "${f[2]}"
    else
      printf '%s' "${f[5]:-}" | base64 -d | sign_v2 "${f[1]}" "${f[3]}" "${f[4]}" "${f[2]}"
    fi
  done
  exit 0
fi

order_id=${1:-demo-$(date +%s)}
# The gateway's order_id alphabet needs no JSON escaping, so printf can build the body; use jq for free text.
[[ $order_id =~ ^[A-Za-z0-9_.:/#-]{1,64}$ ]] || { echo "order_id: 1-64 of A-Z a-z 0-9 _ . : / # -" >&2; exit 2; }
order=$(printf '{"order_id":"%s","order_amount":"105.00","order_currency":"INR","service_type":"DIGITAL","customer":{"name":"Ajay","email":"dev@example.com","phone":"9816512345"}}' "$order_id")
failed=0
post create /api/v3/pg/order/create "$order" 1 || failed=1
post status /api/v3/pg/order/status "{\"order_id\":\"$order_id\"}" 2 || failed=1
exit "$failed"
