import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';

const run = promisify(execFile);

/**
 * Clients no one here wrote the crypto for: curl with a signature from
 * `openssl dgst`, and Python's standard library. If our server and these
 * agree, merchants' code in any language can.
 */
const CURL_SCRIPT = `
set -eu
BODY=$(printf '{"order_id":"%s","order_amount":"105.00","order_currency":"INR","service_type":"DIGITAL","customer":{"name":"Ajay","email":"dev@example.com","phone":"9816512345"},"return_url":"https://merchant.example/return"}' "$ORDER_ID")
TS=$(date +%s)
SIG=$(printf '%s%s' "$BODY" "$TS" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -w '\\n%{http_code}' "$BASE/api/v3/pg/order/create" \\
  -H 'Content-Type: application/json' -H 'Accept: application/json' \\
  -H "X-API-KEY: $KEY" -H "X-TIMESTAMP: $TS" -H "X-SIGNATURE: $SIG" --data "$BODY"
`;

const PYTHON_CLIENT = `
import hashlib, hmac, json, os, sys, time, urllib.request, urllib.error

def call(path, payload, version):
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ts = str(int(time.time()))
    message = (b"POST" + path.encode() + body + ts.encode()) if version == "2" else (body + ts.encode())
    sig = hmac.new(os.environ["SECRET"].encode(), message, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "X-API-KEY": os.environ["KEY"], "X-TIMESTAMP": ts, "X-SIGNATURE": sig}
    if version == "2":
        headers["X-SIGNATURE-VERSION"] = "2"
    req = urllib.request.Request(os.environ["BASE"] + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

order_id = os.environ["ORDER_ID"]
created = call("/api/v3/pg/order/create", {"order_id": order_id, "order_amount": "250.50", "order_currency": "INR",
    "service_type": "PHYSICAL_GOODS", "order_note": "https://shop.example/a/b ✓",
    "customer": {"name": "Émilie", "email": "emilie@example.com", "phone": "+919816512345"}}, "1")
status = call("/api/v3/pg/order/status", {"order_id": order_id}, "2")
print(json.dumps({"created": created, "status": status}))
`;

for (const backend of BACKENDS) {
  describe(`clients in other tools, against a listening gateway on ${backend.name}`, () => {
    let opened: OpenedBackend;
    let gateway: Gateway;
    let env: Record<string, string>;

    before(async () => {
      opened = await backend.open();
      const dataDir = mkdtempSync(join(tmpdir(), 'tijori-e2e-'));
      const config = loadConfig({ PORT: '0', TIJORI_DATA_DIR: dataDir, TIJORI_MASTER_KEY: randomBytes(32).toString('base64') });
      gateway = await startGateway(config, { db: opened.db, logger: createLogger('silent') });
      const port = (gateway.app.server.address() as AddressInfo).port;
      const creds = JSON.parse(readFileSync(gateway.sandboxCredentialsFile as string, 'utf8'));
      env = { ...(process.env as Record<string, string>), BASE: `http://127.0.0.1:${port}`, KEY: creds.api_key, SECRET: creds.secret_key };
    });
    after(async () => {
      await gateway?.close();
      await opened?.cleanup();
    });

    it('accepts an order created by curl with an openssl HMAC', async () => {
      const orderId = `curl-${randomBytes(4).toString('hex')}`;
      const { stdout } = await run('bash', ['-c', CURL_SCRIPT], { env: { ...env, ORDER_ID: orderId } });
      const lines = stdout.trim().split('\n');
      const status = lines.pop();
      assert.equal(status, '200', stdout);
      const reply = JSON.parse(lines.join('\n'));
      assert.equal(reply.return_data.order_id, orderId);
      assert.equal(reply.return_data.order_amount, '105.00');
    });

    it('accepts a Python standard-library client: v1 create over canonical JSON, v2 status', async () => {
      const orderId = `py-${randomBytes(4).toString('hex')}`;
      const { stdout } = await run('python3', ['-c', PYTHON_CLIENT], { env: { ...env, ORDER_ID: orderId } });
      const { created, status } = JSON.parse(stdout) as { created: [number, Record<string, any>]; status: [number, Record<string, any>] };
      assert.equal(created[0], 200, JSON.stringify(created[1]));
      assert.equal(created[1].return_data.order_note, 'https://shop.example/a/b ✓');
      assert.equal(status[0], 200, JSON.stringify(status[1]));
      assert.equal(status[1].return_data.order_amount, '250.50');
      assert.equal(status[1].return_data.order_id, orderId);
    });

    it('answers /healthz and /readyz', async () => {
      assert.equal((await fetch(`${env.BASE}/healthz`)).status, 200);
      const ready = await fetch(`${env.BASE}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.headers.get('x-request-id')?.startsWith('req_'), true);
    });
  });
}
