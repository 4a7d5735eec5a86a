// Bench only, preloaded into the gateway of case create-pg-no-encryption with
// node --import: order create stores the customer's contact details without
// sealing them (no AES-GCM) and without blind indexes (no HMACs), so that the
// case differs from create-pg by exactly the per-order encryption work. The
// gateway has no setting for this on purpose: production cannot turn it off.
// The stand-ins have the real values' sizes, so the rows written weigh the same.
import { Keyring } from '../../packages/server/dist/core/keyring.js'

// v2 field-cipher header (version, key id) and GCM nonce before the ciphertext, tag after it: close to the real overhead.
const HEADER_BYTES = 40
const TAG_BYTES = 16
const seal = Keyring.prototype.seal

Keyring.prototype.seal = function sealExceptOrderCustomers (owner, plaintext, context, tx) {
  if (!context.startsWith('orders.customer_enc:')) return seal.call(this, owner, plaintext, context, tx)
  return Promise.resolve(Buffer.concat([Buffer.alloc(HEADER_BYTES), Buffer.from(plaintext, 'utf8'), Buffer.alloc(TAG_BYTES)]))
}

// A 32-byte HMAC in base64url is 43 characters.
const BLIND_INDEX_STAND_IN = 'A'.repeat(43)
Keyring.prototype.blindIndex = function noBlindIndex () {
  return BLIND_INDEX_STAND_IN
}
