import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Coalescer } from './coalescer.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Coalescer', () => {
  it('runs a lone call at once, alone', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>(async (xs) => (batches.push(xs), xs.map((x) => x * 2)), { maxBatch: 10, maxConcurrent: 1 });
    assert.equal(await c.submit(4), 8);
    assert.deepEqual(batches, [[4]]);
  });

  it('groups calls that arrive while a batch is in flight, answering each with its own result', async () => {
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const batches: number[][] = [];
    const c = new Coalescer<number, string>(
      async (xs) => {
        batches.push(xs);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        return xs.map((x) => `r${x}`);
      },
      { maxBatch: 3, maxConcurrent: 1 },
    );
    const results = [1, 2, 3, 4, 5, 6].map((x) => c.submit(x));
    assert.deepEqual(batches, [[1]]);
    gates[0]?.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1], [2, 3, 4]], 'the waiting calls go together, at most maxBatch');
    gates[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    gates[2]?.resolve();
    assert.deepEqual(await Promise.all(results), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    assert.deepEqual(batches, [[1], [2, 3, 4], [5, 6]]);
  });

  it('rejects every caller of a failed batch, and carries on with the next', async () => {
    let fail = true;
    const c = new Coalescer<number, number>(
      async (xs) => {
        await new Promise((r) => setImmediate(r));
        if (fail) {
          fail = false;
          throw new Error('connection lost');
        }
        return xs;
      },
      { maxBatch: 10, maxConcurrent: 1 },
    );
    const first = c.submit(1);
    const later = [c.submit(2), c.submit(3)];
    await assert.rejects(first, /connection lost/);
    assert.deepEqual(await Promise.all(later), [2, 3]);
  });

  it('refuses a batch function that answers the wrong number of results', async () => {
    const c = new Coalescer<number, number>(async () => [], { maxBatch: 10, maxConcurrent: 1 });
    await assert.rejects(c.submit(1), /0 results for 1 inputs/);
  });

  it('with gatherTurn, waits for the event-loop turn so calls made in it share one batch', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>(async (xs) => (batches.push(xs), xs), { maxBatch: 10, maxConcurrent: 1, gatherTurn: true });
    const results = Promise.all([1, 2, 3].map((x) => c.submit(x)));
    assert.deepEqual(batches, [], 'nothing runs before the turn ends');
    assert.deepEqual(await results, [1, 2, 3]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('never runs more than maxConcurrent batches at once', async () => {
    let running = 0;
    let peak = 0;
    const c = new Coalescer<number, number>(
      async (xs) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
        return xs;
      },
      { maxBatch: 2, maxConcurrent: 3 },
    );
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.submit(i)));
    assert.equal(peak, 3);
  });
});
