import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';
import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { createOrderStore } from './order-store.js';
import { insertMerchant } from './queries/merchants.js';
import { countOrders, type OrderRow } from './queries/orders.js';

function row(id: string, overrides: Partial<OrderRow> = {}): OrderRow {
  const now = new Date('2026-11-23T12:00:00Z');
  return {
    id,
    merchantId: 'mer_a',
    mode: 'test',
    orderRef: id,
    orderRefNumeric: false,
    amountMinor: 100,
    currency: 'INR',
    note: null,
    serviceType: 'DIGITAL',
    customerEnc: Buffer.from([1, 2, 3]),
    customerEmailBidx: 'e',
    customerPhoneBidx: 'p',
    returnUrl: null,
    status: 'UN_PAID',
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 1800_000),
    ...overrides,
  };
}

for (const backend of BACKENDS) {
  describe(`order store on ${backend.name}`, () => {
    let opened: OpenedBackend;
    let db: Db;
    before(async () => {
      opened = await backend.open();
      db = opened.db;
      await migrate(db);
      await insertMerchant(db, { id: 'mer_a', name: 'A', createdAt: new Date() });
      await insertMerchant(db, { id: 'mer_b', name: 'B', createdAt: new Date() });
    });
    after(async () => {
      await opened?.cleanup();
    });

    it('inserts a burst as one batch and reports duplicates within it and against stored rows', async () => {
      const store = createOrderStore(db, { maxBatch: 100, maxConcurrent: 1, gatherTurn: true });
      assert.equal(await store.insertIfAbsent(row('ord_first')), true);
      const results = await Promise.all([
        store.insertIfAbsent(row('ord_x1')),
        store.insertIfAbsent(row('ord_x2')),
        store.insertIfAbsent(row('ord_x1b', { orderRef: 'ord_x1' })), // same order_ref in the same batch
        store.insertIfAbsent(row('ord_first2', { orderRef: 'ord_first' })), // already stored
        store.insertIfAbsent(row('ord_x1_b', { orderRef: 'ord_x1', merchantId: 'mer_b' })), // another merchant may reuse it
      ]);
      assert.deepEqual(results, [true, true, false, false, true]);
      const found = await Promise.all([
        store.findByRef({ merchantId: 'mer_a', mode: 'test', orderRef: 'ord_x1' }),
        store.findByRef({ merchantId: 'mer_b', mode: 'test', orderRef: 'ord_x1' }),
        store.findByRef({ merchantId: 'mer_a', mode: 'live', orderRef: 'ord_x1' }),
      ]);
      assert.deepEqual(found.map((f) => f?.id), ['ord_x1', 'ord_x1_b', undefined]);
      assert.equal(found[0]?.amountMinor, 100);
      const [stored] = await db.query<{ customer_enc: Uint8Array }>("SELECT customer_enc FROM orders WHERE id = 'ord_x1'");
      assert.deepEqual(Buffer.from(stored?.customer_enc ?? []), Buffer.from([1, 2, 3]));
    });

    it("fails only the faulty row of a batch, never the other merchants' orders beside it", async () => {
      const store = createOrderStore(db, { maxBatch: 100, maxConcurrent: 1, gatherTurn: true });
      const before = await countOrders(db);
      const settled = await Promise.allSettled([
        store.insertIfAbsent(row('ord_ok1')),
        store.insertIfAbsent(row('ord_bad', { amountMinor: 0 })), // violates CHECK (amount_minor > 0)
        store.insertIfAbsent(row('ord_ok2', { merchantId: 'mer_b' })),
      ]);
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal(await countOrders(db), before + 2);
    });
  });
}
