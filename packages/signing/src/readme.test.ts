/** The README is part of the specification: its examples must be true and its code table complete. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VERIFY_FAILURE_CODES } from './verify-request.js';
import { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  v1: Array<{ secret: string; timestamp: string; body: string; signature: string; form?: string; signed_body?: string }>;
  v2: Array<{ secret: string; timestamp: string; method: string; path: string; body: string; signature: string }>;
};

const signed = [
  ...vectors.v1.map((v) => ({ secret: v.secret, message: (v.form === 'canonical' ? v.signed_body! : v.body) + v.timestamp, signature: v.signature })),
  ...vectors.v2.map((v) => ({ secret: v.secret, message: v.method + v.path + v.body + v.timestamp, signature: v.signature })),
];
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('README.md', () => {
  it('documents every failure code in its table, and no code that does not exist', () => {
    const documented = [...readme.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...VERIFY_FAILURE_CODES].sort());
  });

  it('takes every signature and body hash it shows from test-vectors.json', () => {
    const known = new Set([...signed.map((s) => s.signature), ...[...vectors.v1, ...vectors.v2].map((v) => sha256(v.body)), ...vectors.v1.filter((v) => v.signed_body).map((v) => sha256(v.signed_body!))]);
    const shown = [...readme.matchAll(/\b[0-9a-f]{64}\b/g)].map((m) => m[0]);
    assert.ok(shown.length >= 5);
    for (const hex of shown) assert.ok(known.has(hex), `${hex} is not from test-vectors.json`);
  });

  it('shows, for each single-line worked example, the exact message and the secret that produce its signature', () => {
    let checked = 0;
    for (const s of signed) {
      if (!readme.includes(s.signature) || s.message.includes('\n')) continue;
      assert.ok(readme.includes(s.message), `README shows ${s.signature} without its message`);
      assert.ok(readme.includes(s.secret));
      checked++;
    }
    assert.ok(checked >= 3);
  });

  it('states the default tolerance', () => {
    assert.ok(readme.includes(`= ${DEFAULT_TOLERANCE_SECONDS} seconds`));
  });
});
