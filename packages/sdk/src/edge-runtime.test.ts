/**
 * The SDK's fetch-based core runs where only the web platform exists (Deno,
 * Bun, edge workers): here, the built package runs in a child process where
 * importing any Node built-in, or touching Buffer, from the SDK's or the
 * signing package's files throws, and reproduces every test vector there.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VECTORS_FILE } from './test-support/vectors.js';

const run = promisify(execFile);
const preload = fileURLToPath(new URL('./test-support/deny-node-builtins.mjs', import.meta.url));

function node(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', preload, ...args], { env: { ...process.env, VECTORS_FILE: fileURLToPath(VECTORS_FILE), ...env } });
}

describe('the SDK without node:crypto, Buffer or any other Node built-in', () => {
  it('signs every request vector with WebCrypto, sends exactly the signed bytes, and verifies every webhook and signed-reply vector', async () => {
    const { stdout } = await node([fileURLToPath(new URL('./test-support/edge-child.mjs', import.meta.url))]);
    const results = JSON.parse(stdout) as Record<'requests' | 'client' | 'webhooks' | 'responses', Array<{ name: string; ok: boolean }>>;
    for (const group of ['requests', 'client', 'webhooks', 'responses'] as const) {
      assert.ok(results[group].length > 0, group);
      for (const r of results[group]) assert.ok(r.ok, `${group}: ${r.name}`);
    }
    assert.equal(results.requests.length, 12);
  });

  it('would notice a Node built-in: the signing package\'s Node entry is refused there, and so is Buffer', async () => {
    await assert.rejects(node(['--input-type=module', '-e', "await import('@tijori/signing')"]), /imports node:crypto, which an edge runtime does not have/);
    await assert.rejects(node(['--input-type=module', '-e', "Buffer.from('x')"], { DENY_ALSO: 'eval' }), /Buffer is not defined/);
  });
});
