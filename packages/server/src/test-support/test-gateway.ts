import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SignatureScheme, signRequest } from '@tijori/signing';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../config/load-config.js';
import { createMerchant } from '../core/merchants.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { countOrders } from '../store/queries/orders.js';
import type { Backend } from './backends.js';

export interface TestKey {
  merchantId: string;
  keyId: string;
  apiKey: string;
  secretKey: string;
}

export interface SendOptions {
  method?: string;
  path: string;
  /** An object is sent as compact JSON; a string is sent byte for byte. */
  body?: unknown;
  key?: TestKey;
  scheme?: SignatureScheme;
  timestamp?: string;
  /** Sign something other than what is sent (tampering tests). */
  signWith?: { body?: string; path?: string; method?: string; timestamp?: string; secret?: string };
  headers?: Record<string, string | undefined>;
  /** The socket peer address the gateway sees (default 127.0.0.1). */
  remoteAddress?: string;
}

/** The reply, plus the signature that was sent (to check it never leaks). */
export type SentResponse = LightMyRequestResponse & { signature: string };

export interface TestGateway {
  gateway: Gateway;
  /** Calls the admin API with the test admin token (or `token`). */
  admin(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, token?: string): Promise<LightMyRequestResponse>;
  clock: ManualClock;
  sandbox: TestKey;
  live: TestKey;
  /** Every log line written so far, raw. */
  logs: string[];
  send(options: SendOptions): Promise<SentResponse>;
  orderCount(): Promise<number>;
  close(): Promise<void>;
}

export const BASE_URL = 'https://gateway.test';
export const ADMIN_TOKEN = 'tja_test_admin_token_0123456789abcdefghij';

/** A gateway on the given back-end, driven through app.inject(), with a clock the test controls. */
export async function startTestGateway(backend: Backend, env: Record<string, string> = {}): Promise<TestGateway> {
  const opened = await backend.open();
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const logs: string[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      logs.push(line);
      // DEBUG_TEST_ERRORS=1 shows the gateway's error log lines while a test runs.
      if (process.env.DEBUG_TEST_ERRORS && line.includes('"level":50')) process.stderr.write(line);
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tijori-test-'));
  const config = loadConfig({
    TIJORI_DATA_DIR: dataDir,
    TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
    TIJORI_PUBLIC_BASE_URL: BASE_URL,
    TIJORI_ADMIN_TOKEN: ADMIN_TOKEN,
    // The refusal suites fail authentication on purpose, many times a minute; the guard has tests of its own.
    TIJORI_AUTH_FAILURES_PER_MINUTE_PER_IP: '1000000',
    // Tests drive deliveries with gateway.webhooks.deliverDue() and the manual clock, not a background loop.
    TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false',
    ...env,
  });
  const gateway = await startGateway(config, { db: opened.db, clock, logger, listen: false });
  if (!gateway.sandboxCredentialsFile) throw new Error('expected a sandbox merchant on an empty store');
  const file = JSON.parse(readFileSync(gateway.sandboxCredentialsFile, 'utf8')) as { merchant_id: string; api_key: string; secret_key: string };
  const keyRow = await opened.db.query<{ id: string }>('SELECT id FROM api_keys WHERE api_key = $1', [file.api_key]);
  const sandbox: TestKey = { merchantId: file.merchant_id, keyId: keyRow[0]?.id ?? '', apiKey: file.api_key, secretKey: file.secret_key };
  const liveCreds = await createMerchant(opened.db, gateway.keyring, clock, { name: 'Live merchant', mode: 'live' });
  const live: TestKey = { merchantId: liveCreds.merchantId, keyId: liveCreds.keyId, apiKey: liveCreds.apiKey, secretKey: liveCreds.secretKey.reveal() };

  return {
    gateway,
    admin: (method, path, body, token = ADMIN_TOKEN) =>
      gateway.app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
    clock,
    sandbox,
    live,
    logs,
    async send(o) {
      const key = o.key ?? sandbox;
      const method = o.method ?? 'POST';
      const payload = o.body === undefined ? '' : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      const timestamp = o.timestamp ?? String(Math.floor(clock.nowMs() / 1000));
      const scheme = o.scheme ?? 'v1';
      const signature = signRequest({
        scheme,
        secret: o.signWith?.secret ?? key.secretKey,
        timestamp: o.signWith?.timestamp ?? timestamp,
        body: o.signWith?.body ?? payload,
        method: o.signWith?.method ?? method,
        path: o.signWith?.path ?? o.path,
      });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-api-key': key.apiKey,
        'x-timestamp': timestamp,
        'x-signature': signature,
      };
      if (scheme === 'v2') headers['x-signature-version'] = '2';
      for (const [name, value] of Object.entries(o.headers ?? {})) {
        if (value === undefined) delete headers[name];
        else headers[name] = value;
      }
      const res = await gateway.app.inject({ method: method as 'POST', url: o.path, payload, headers, ...(o.remoteAddress ? { remoteAddress: o.remoteAddress } : {}) });
      return Object.assign(res, { signature: headers['x-signature'] ?? '' });
    },
    orderCount: () => countOrders(opened.db),
    async close() {
      try {
        await gateway.close();
      } finally {
        await opened.cleanup();
      }
    },
  };
}

/** A valid order-create body; override any field. */
export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    order_id: `ord-${randomBytes(6).toString('hex')}`,
    order_amount: '105.00',
    order_currency: 'INR',
    order_note: 'Additional order info',
    service_type: 'DIGITAL',
    customer: { name: 'Ajay', email: 'developer@jangras.co', phone: '9816512345' },
    return_url: 'https://merchant.example/return?x=1',
    ...overrides,
  };
}
