import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { type CliGateway, startCliGateway } from '../test-support/cli-gateway.js';

describe('tijori keys and merchant erase/orders, against a listening gateway', () => {
  let cli: CliGateway;
  let merchant: { id: string };
  let key: { api_key: string; secret_key: string };

  before(async () => {
    cli = await startCliGateway();
    const created = await cli.json<{ merchant: { id: string }; key: { api_key: string; secret_key: string } }>(['merchant', 'create', '--name', 'Privacy']);
    merchant = created.merchant;
    key = created.key;
    const payload = JSON.stringify({ order_id: 'cli-1', order_amount: '5.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'Ravi', email: 'ravi@example.com', phone: '9811111111' } });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${cli.base}/api/v3/pg/order/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.api_key, 'x-timestamp': timestamp, 'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload }) },
      body: payload,
    });
    assert.equal(res.status, 200);
  });
  after(async () => {
    await cli?.close();
  });

  it('shows the current KEK and how many data keys it wraps, and a rotation with nothing to do', async () => {
    const status = await cli.tijori(['keys', 'kek-status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Current KEK: local:[0-9a-f]{16}/);
    const rotated = await cli.json<{ rewrapped: number; data_keys_by_kek: Array<{ kek_id: string }> }>(['keys', 'rotate-kek']);
    assert.equal(rotated.rewrapped, 0);
    assert.equal(rotated.data_keys_by_kek.length, 1);
  });

  it("finds the customer's order by email, whatever its case", async () => {
    const found = await cli.json<{ orders: Array<{ order_id: string }> }>(['merchant', 'orders', merchant.id, '--email', 'RAVI@example.com']);
    assert.deepEqual(found.orders.map((o) => o.order_id), ['cli-1']);
    assert.equal((await cli.tijori(['merchant', 'orders', merchant.id])).code, 2, 'needs --email or --phone');
  });

  it('erases a merchant only with --yes, and says what was destroyed', async () => {
    const refused = await cli.tijori(['merchant', 'erase', merchant.id]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const erased = await cli.tijori(['merchant', 'erase', merchant.id, '--yes']);
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.stdout, /destroyed data key dk_[0-9a-f]{24}/);
    assert.match(erased.stdout, /can no longer be decrypted/);
  });
});
