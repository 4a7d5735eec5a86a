import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pooledRandomBytes, pooledRandomHex } from './random-pool.js';

describe('pooled randomness', () => {
  it('never hands out the same bytes twice, across refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(pooledRandomHex(12));
    assert.equal(seen.size, 5000);
  });

  it('returns copies that later draws do not overwrite', () => {
    const a = pooledRandomBytes(12);
    const copy = Buffer.from(a);
    for (let i = 0; i < 1000; i++) pooledRandomBytes(12);
    assert.deepEqual(a, copy);
  });

  it('looks uniformly random (every byte value appears)', () => {
    const counts = new Array<number>(256).fill(0);
    const bytes = pooledRandomBytes(4096);
    for (const b of bytes) counts[b] = (counts[b] ?? 0) + 1;
    assert.ok(counts.every((c) => c > 0));
  });
});
