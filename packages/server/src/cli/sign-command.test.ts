import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { CliRun } from '../test-support/cli-gateway.js';

// The built CLI (npm test builds first). `sign` talks to no gateway, so none is started.
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'tijori-sign-'));

async function tijori(args: string[], env: Record<string, string>): Promise<CliRun> {
  try {
    return { code: 0, ...(await promisify(execFile)(process.execPath, [CLI, 'sign', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: work })) };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Vector {
  name: string;
  secret: string;
  timestamp: string;
  body: string;
  signature: string;
  method?: string;
  path?: string;
  form?: 'canonical';
  signed_body?: string;
  private_key_pem?: string;
}
const vectors = JSON.parse(readFileSync(new URL(import.meta.resolve('@tijori/signing/test-vectors.json')), 'utf8')) as { v1: Vector[]; v2: Vector[]; v2_ed25519: Vector[] };

describe('tijori sign', () => {
  it('reproduces every v1, v2 and Ed25519 signature in test-vectors.json', async () => {
    const cases = [...vectors.v1, ...vectors.v2, ...vectors.v2_ed25519].map(async (v, i) => {
      if (v.private_key_pem) writeFileSync(join(work, `vector-${i}.pem`), v.private_key_pem);
      const signer = v.private_key_pem ? ['--private-key', `vector-${i}.pem`] : [];
      const route = v.path ? ['--method', v.method ?? 'POST', '--path', v.path] : [];
      // The canonical-form vector signs its canonical body: that is the string the client signed.
      const body = v.form === 'canonical' ? (v.signed_body as string) : v.body;
      const run = await tijori(['--timestamp', v.timestamp, '--data', body, '--json', ...route, ...signer], v.private_key_pem ? {} : { TIJORI_SECRET_KEY: v.secret });
      assert.equal(run.code, 0, `${v.name}: ${run.stderr}`);
      const out = JSON.parse(run.stdout);
      assert.equal(out.signature, v.signature, v.name);
      assert.equal(out.signed_string, (v.path ? `${v.method}${v.path}` : '') + body + v.timestamp, v.name);
    });
    await Promise.all(cases);
  });

  it('shows the signed string escaped, and the form the gateway prints in its sandbox errors', async () => {
    const v = vectors.v2[2] as Vector;
    const run = await tijori(['--timestamp', v.timestamp, '--data', `${v.body}\n`, '--method', 'POST', '--path', v.path as string], { TIJORI_SECRET_KEY: v.secret });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Signature {6}[0-9a-f]{64}$/m);
    assert.match(run.stdout, /^Scheme {9}v2: hex\(HMAC-SHA256\(secret_key, METHOD \+ PATH \+ BODY \+ TIMESTAMP\)\)$/m);
    assert.match(run.stdout, new RegExp(`^Signed {9}"POST/api/v3/pg/order/create\\?idempotency=retry%201\\{\\\\"customer\\\\":\\{\\\\"city\\\\":\\\\"मुंबई\\\\".*\\}\\\\n${v.timestamp}"$`, 'm'));
    assert.match(run.stdout, new RegExp(`^Gateway shows {2}POST/api/v3/pg/order/create\\?idempotency=retry%201<body sha256=[0-9a-f]{64} length=${Buffer.byteLength(v.body) + 1}>${v.timestamp}$`, 'm'));
    assert.match(run.stderr, /^note: the body ends with a newline, and it is signed: send it too/m);
    assert.doesNotMatch(run.stdout + run.stderr, /\u001b\[/);
  });

  it('notes a timestamp the gateway would refuse, such as milliseconds, but still signs it', async () => {
    const run = await tijori(['--timestamp', '1778659835000', '--data', '{}'], { TIJORI_SECRET_KEY: 'sk_test_tijori_vector_0001' });
    assert.equal(run.code, 0);
    assert.match(run.stderr, /would refuse this timestamp \(timestamp_in_milliseconds\)/);
  });

  for (const [what, args, message] of [
    ['v2 without a path', ['--scheme', 'v2'], /give --path/],
    ['a path with v1', ['--scheme', 'v1', '--path', '/x'], /signed by v2 only/],
  ] as const) {
    it(`exits 2 on ${what}`, async () => {
      const run = await tijori([...args], { TIJORI_SECRET_KEY: 'sk_test_tijori_vector_0001' });
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
    });
  }
});
