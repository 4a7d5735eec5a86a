// The v1 request signature, written from the KwikPaisa v3 guide with node:crypto
// only. Deliberately not imported from packages/signing: if the gateway and the
// bench shared this code, a bug in it would sign and verify "correctly" here.
import { createHmac } from 'node:crypto'

// hex(HMAC_SHA256(secret, rawBody + timestamp)); timestamp is UNIX *seconds*,
// the same string that goes into X-TIMESTAMP.
export function signV1 (secretKey, rawBody, timestamp) {
  return createHmac('sha256', secretKey).update(rawBody).update(timestamp).digest('hex')
}

export function unixSeconds () {
  return String(Math.floor(Date.now() / 1000))
}
