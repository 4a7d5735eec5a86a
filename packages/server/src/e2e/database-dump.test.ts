import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { loadConfig } from '../config/load-config.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, TEST_DATABASE_URL } from '../test-support/backends.js';

const ADMIN = 'tja_dump_test_admin_token_0123456789abcdef';

/** Every common way a value could sit in a dump: as text, base64 (both alphabets), hex (both cases), UTF-16, URL-encoded. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    value,
    value.toLowerCase(),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    Buffer.from(value, 'utf16le').toString('latin1'),
    encodeURIComponent(value),
  ];
  // A secret's distinctive part alone (without its prefix), in case only that was stored.
  const body = value.replace(/^(sk_(test|live)_|whsec_)/, '');
  if (body !== value) forms.push(body, Buffer.from(body, 'utf8').toString('hex'));
  // The raw key bytes behind a whsec_ secret.
  if (value.startsWith('whsec_')) forms.push(Buffer.from(body, 'base64').toString('hex'), Buffer.from(body, 'base64').toString('latin1'));
  return [...new Set(forms)].filter((f) => f.length >= 8);
}

function findLeaks(dump: Buffer, needles: Record<string, string>): string[] {
  const text = dump.toString('latin1');
  const leaks: string[] = [];
  for (const [what, value] of Object.entries(needles)) {
    for (const form of encodings(value)) if (text.includes(form)) leaks.push(`${what} as ${JSON.stringify(form.slice(0, 24))}`);
  }
  return leaks;
}

function readTree(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    parts.push(statSync(path).isDirectory() ? readTree(path) : readFileSync(path));
  }
  return Buffer.concat(parts);
}

describe('the dump search', () => {
  it('finds a value planted in any of the encodings it looks for, so a clean result means something', () => {
    const email = 'planted.customer@mailbox.example';
    for (const form of encodings(email)) assert.equal(findLeaks(Buffer.from(`xx${form}yy`, 'latin1'), { email }).length > 0, true, form);
    const whsec = `whsec_${randomBytes(32).toString('base64')}`;
    const raw = Buffer.from(whsec.slice(6), 'base64');
    assert.ok(findLeaks(Buffer.concat([Buffer.from('x'), raw]), { whsec }).length > 0, 'the raw key bytes');
    assert.deepEqual(findLeaks(Buffer.from('nothing here'), { email }), []);
  });
});

/**
 * A stolen copy of the database yields no secret and no customer contact:
 * after a full scenario (merchants, keys rolled, orders with customers, a
 * webhook endpoint with a rolled secret, payments delivered), the dump is
 * searched for every secret, email and phone number in every common encoding.
 */
for (const backend of BACKENDS) {
  describe(`a dump of the ${backend.name} database`, () => {
    it('holds no API secret, webhook secret, customer email or phone number, in any common encoding', async () => {
      const clock = new ManualClock(Date.now());
      const dataDir = mkdtempSync(join(tmpdir(), 'tijori-dump-'));
      const schema = `tijori_dump_${randomBytes(5).toString('hex')}`;
      const env: Record<string, string> = { TIJORI_DATA_DIR: dataDir, TIJORI_ADMIN_TOKEN: ADMIN, TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' };
      let db: Gateway['db'] | undefined;
      if (backend.name === 'postgres') {
        const { openPostgresDb } = await import('../store/postgres-db.js');
        const admin = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 1 });
        await admin.query(`CREATE SCHEMA ${schema}`);
        await admin.close();
        db = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 4, searchPath: schema });
        env.TIJORI_MASTER_KEY = randomBytes(32).toString('base64');
      }
      const gw = await startGateway(loadConfig(env), { ...(db ? { db } : {}), clock, logger: createLogger('silent'), listen: false });
      const needles: Record<string, string> = {};
      const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
      receiver.listen(0, '127.0.0.1');
      await once(receiver, 'listening');
      try {
        const call = async (method: 'GET' | 'POST', url: string, body?: unknown, key?: { api_key: string; secret_key: string }) => {
          clock.advanceSeconds(1);
          const payload = body === undefined ? undefined : JSON.stringify(body);
          const timestamp = String(Math.floor(clock.nowMs() / 1000));
          const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
          if (key) Object.assign(headers, { 'x-api-key': key.api_key, 'x-timestamp': timestamp, 'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload ?? '' }) });
          else headers.authorization = `Bearer ${ADMIN}`;
          const res = await gw.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
          assert.ok(res.statusCode < 300, `${url}: ${res.statusCode} ${res.body}`);
          return res.json() as Record<string, any>;
        };
        const merchant = await call('POST', '/admin/v1/merchants', { name: 'Dump test', mode: 'live' });
        const sandbox = await call('POST', `/admin/v1/merchants/${merchant.merchant.id}/keys`, { mode: 'sandbox' });
        needles['live secret (first)'] = merchant.key.secret_key;
        const rolled = await call('POST', `/admin/v1/keys/${merchant.key.api_key}/roll`, { overlap_seconds: 3600 });
        needles['live secret (rolled)'] = rolled.key.secret_key;
        const key = { api_key: sandbox.key.api_key, secret_key: sandbox.key.secret_key };
        needles['sandbox secret'] = key.secret_key;
        const endpoint = await call('POST', `/admin/v1/merchants/${merchant.merchant.id}/webhook-endpoints`, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
        needles['webhook secret'] = endpoint.secret;
        needles['webhook secret (rolled)'] = (await call('POST', `/admin/v1/webhook-endpoints/${endpoint.endpoint.id}/roll-secret`, { overlap_seconds: 600 })).secret;
        for (let i = 0; i < 5; i++) {
          const email = `customer.${i}.${randomBytes(3).toString('hex')}@mailbox.example`;
          const phone = `98${randomBytes(4).readUInt32BE(0).toString().padStart(8, '7').slice(0, 8)}`;
          needles[`email ${i}`] = email;
          needles[`phone ${i}`] = phone;
          await call('POST', '/api/v3/pg/order/create', { order_id: `dump-${i}`, order_amount: '42.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: `Customer ${i}`, email, phone } }, key);
          await call('POST', '/api/v3/sandbox/order/simulate', { order_id: `dump-${i}`, outcome: i % 2 === 0 ? 'success' : 'failed' }, key);
        }
        await call('GET', `/admin/v1/merchants/${merchant.merchant.id}/orders?customer_email=${encodeURIComponent(needles['email 0'] as string)}`);
        assert.equal(await gw.webhooks.drain(), 5);
      } finally {
        await gw.close();
        receiver.close();
      }

      let dump: Buffer;
      if (backend.name === 'postgres') {
        dump = execFileSync('pg_dump', ['--dbname', TEST_DATABASE_URL, '--schema', schema, '--no-owner'], { maxBuffer: 256 * 1024 * 1024 });
        await db?.close();
        const { openPostgresDb } = await import('../store/postgres-db.js');
        const admin = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 1 });
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      } else {
        dump = readTree(join(dataDir, 'pgdata'));
      }
      // The dump is real: it holds the scenario's rows (order references and a merchant name are not secret).
      assert.ok(dump.includes('dump-4') && dump.includes('Dump test'), 'the dump contains the scenario');
      assert.deepEqual(findLeaks(dump, needles), []);
    });
  });
}
