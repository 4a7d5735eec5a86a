import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryReplayStore } from './memory-replay-store.js';
import { ReplayStoreUnavailable } from './replay-store.js';

const T0 = 1_800_000_000;

describe('MemoryReplayStore', () => {
  it('accepts a signature once and refuses it after', () => {
    const store = new MemoryReplayStore({ maxLifetimeSeconds: 600, maxEntries: 100 });
    assert.equal(store.claim('k:sig', T0 + 300, T0), true);
    assert.equal(store.claim('k:sig', T0 + 300, T0), false);
    assert.equal(store.claim('k:other', T0 + 300, T0), true);
  });

  it('remembers a signature for its whole lifetime across generation swaps', () => {
    const store = new MemoryReplayStore({ maxLifetimeSeconds: 600, maxEntries: 100 });
    store.claim('k:first', T0 + 600, T0); // starts generation at T0
    store.claim('k:late', T0 + 599 + 600, T0 + 599); // claimed just before the swap
    for (const t of [T0 + 600, T0 + 900, T0 + 1198]) {
      assert.equal(store.claim('k:late', T0 + 1199, t), false, `still refused at +${t - T0}`);
    }
  });

  it('forgets signatures after two generations, bounding memory', () => {
    const store = new MemoryReplayStore({ maxLifetimeSeconds: 600, maxEntries: 100 });
    store.claim('k:a', T0 + 600, T0);
    store.claim('k:b', T0 + 600, T0 + 600);
    store.claim('k:c', T0 + 1200, T0 + 1200);
    assert.equal(store.size, 2, 'k:a dropped after two swaps');
    store.claim('k:d', T0 + 5000, T0 + 5000);
    assert.equal(store.size, 1, 'a long idle gap drops everything older');
  });

  it('refuses new claims when full instead of forgetting early', () => {
    const store = new MemoryReplayStore({ maxLifetimeSeconds: 600, maxEntries: 2 });
    store.claim('a', T0, T0);
    store.claim('b', T0, T0);
    assert.throws(() => store.claim('c', T0, T0), ReplayStoreUnavailable);
    assert.equal(store.claim('a', T0, T0), false, 'a known replay is still reported as a replay');
  });
});
