/**
 * A real gateway listening on a loopback port, for the SDK's tests (and the
 * type generator): the SDK talks to it over HTTP exactly as a merchant's
 * code would. Dev only: nothing under src/test-support is built or shipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../server/src/config/load-config.js';
import { createMerchant } from '../../../server/src/core/merchants.js';
import { systemClock } from '../../../server/src/lib/clock.js';
import { createLogger } from '../../../server/src/lib/logger.js';
import { type Gateway, startGateway } from '../../../server/src/main.js';
import type { Backend } from '../../../server/src/test-support/backends.js';

export const ADMIN_TOKEN = 'tja_sdk_test_admin_token_0123456789abcdefghij';

export interface Credentials {
  merchantId: string;
  apiKey: string;
  secretKey: string;
}

export interface ListeningGateway {
  gateway: Gateway;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** The sandbox merchant created on first start. */
  sandbox: Credentials;
  /** Creates a merchant with a live key. */
  liveMerchant(): Promise<Credentials>;
  /** Calls the admin API with the test admin token. */
  admin(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Every log line the gateway wrote. */
  logs: string[];
  close(): Promise<void>;
}

export async function startListeningGateway(backend: Backend, env: Record<string, string> = {}): Promise<ListeningGateway> {
  const opened = await backend.open();
  const logs: string[] = [];
  try {
    const config = loadConfig({
      PORT: '0',
      TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-sdk-')),
      TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
      TIJORI_ADMIN_TOKEN: ADMIN_TOKEN,
      // Some tests fail authentication on purpose; the guard has tests of its own.
      TIJORI_AUTH_FAILURES_PER_MINUTE_PER_IP: '1000000',
      ...env,
    });
    const gateway = await startGateway(config, { db: opened.db, logger: createLogger('info', { write: (line: string) => void logs.push(line) }) });
    const baseUrl = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
    const file = JSON.parse(readFileSync(gateway.sandboxCredentialsFile as string, 'utf8')) as { merchant_id: string; api_key: string; secret_key: string };
    return {
      gateway,
      baseUrl,
      sandbox: { merchantId: file.merchant_id, apiKey: file.api_key, secretKey: file.secret_key },
      async liveMerchant() {
        const created = await createMerchant(opened.db, gateway.keyring, systemClock, { name: 'Live merchant', mode: 'live' });
        return { merchantId: created.merchantId, apiKey: created.apiKey, secretKey: created.secretKey.reveal() };
      },
      async admin(method, path, body) {
        const res = await fetch(baseUrl + path, {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, json: await res.json() };
      },
      logs,
      async close() {
        try {
          await gateway.close();
        } finally {
          await opened.cleanup();
        }
      },
    };
  } catch (err) {
    await opened.cleanup();
    throw err;
  }
}
