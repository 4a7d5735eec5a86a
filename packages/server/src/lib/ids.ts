import { randomBytes, randomUUID } from 'node:crypto';
import { pooledRandomHex } from './random-pool.js';

/** Every id we mint carries a prefix from this one table, so a stray id in a log says what it is. */
export const ID_PREFIX = {
  merchant: 'mer_',
  apiKeyRecord: 'key_',
  order: 'ord_',
  paymentAttempt: 'pay_',
  webhookEndpoint: 'we_',
  webhookSecret: 'wsec_',
  webhookEvent: 'evt_',
  webhookDelivery: 'whd_',
  webhookAttempt: 'wha_',
  webhookListener: 'wl_',
  request: 'req_',
  gatewaySigningKey: 'gsk_',
  securityAlert: 'alr_',
  dashboardUser: 'usr_',
  dashboardSession: 'ses_',
  testApiKey: 'pk_test_',
  liveApiKey: 'pk_live_',
  testSecretKey: 'sk_test_',
  liveSecretKey: 'sk_live_',
} as const;

export type Mode = 'test' | 'live';

/** 96 random bits: unguessable and collision-free at any volume we will see. */
export function newId(prefix: (typeof ID_PREFIX)[keyof typeof ID_PREFIX]): string {
  return prefix + pooledRandomHex(12);
}

export function newRequestId(): string {
  // randomUUID draws from a cached entropy pool: cheaper than randomBytes on the hot path.
  return ID_PREFIX.request + randomUUID().replaceAll('-', '');
}

export function newApiKey(mode: Mode): string {
  return (mode === 'live' ? ID_PREFIX.liveApiKey : ID_PREFIX.testApiKey) + pooledRandomHex(12);
}

/** 256 bits of entropy, base64url so it survives shells, JSON and headers unescaped. */
export function newSecretKey(mode: Mode): string {
  return (mode === 'live' ? ID_PREFIX.liveSecretKey : ID_PREFIX.testSecretKey) + randomBytes(32).toString('base64url');
}

/** Standard Webhooks' form: whsec_ + base64 of 32 random bytes (the bytes are the HMAC key; KwikPaisa's recipe keys on the whole string). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
