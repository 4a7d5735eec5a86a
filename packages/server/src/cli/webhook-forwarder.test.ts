import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '@tijori/signing';
import { Receiver } from '../test-support/webhook-receiver.js';
import { type ForwardResult, type ListenedEvent, type ListenReply, WebhookForwarder } from './webhook-forwarder.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function event(n: number): ListenedEvent {
  const id = `evt_${String(n).padStart(24, '0')}`;
  return { event_id: id, type: 'payment.success', created_at: '2026-11-24T10:00:00.000Z', payload: `{"event":"payment.success","event_id":"${id}"}` };
}

/** A gateway stand-in: hands out the queue, drops what is acknowledged, records every call. */
function fakeGateway(queue: ListenedEvent[]) {
  const calls: Array<Record<string, unknown>> = [];
  const listen = async (body: Record<string, unknown>): Promise<ListenReply> => {
    calls.push(body);
    if (body.listener_id === undefined) return { listener_id: 'wl_000000000000000000000001', closed: false, events: [] };
    const acked = new Set((body.ack as string[] | undefined) ?? []);
    for (let i = queue.length - 1; i >= 0; i--) if (acked.has(queue[i]!.event_id)) queue.splice(i, 1);
    return { listener_id: body.listener_id as string, closed: body.close === true, events: body.close ? [] : [...queue] };
  };
  return { calls, listen };
}

describe('the webhook forwarder behind tijori listen', () => {
  const receiver = new Receiver();
  let url = '';
  before(async () => {
    url = await receiver.start();
  });
  after(() => receiver.close());

  it('forwards each event byte for byte, signed in both conventions with the session secret, and acknowledges it with the next poll', async () => {
    receiver.reset();
    receiver.script = [{ status: 500 }];
    const queue = [event(1), event(2)];
    const gateway = fakeGateway(queue);
    const results: ForwardResult[] = [];
    const forwarder = new WebhookForwarder({ listen: gateway.listen, forwardTo: new URL(url), secret: SECRET, onForwarded: (r) => results.push(r) });
    assert.deepEqual(await forwarder.pollOnce(0), { received: 2, unreachable: 0 });
    assert.deepEqual(results.map((r) => r.status), [500, 200], 'a 500 from the local server is shown, not retried');
    assert.deepEqual(receiver.received.map((r) => r.body), [event(1).payload, event(2).payload]);
    for (const r of receiver.received) {
      const verified = verifyWebhook({ body: r.body, headers: r.headers as Record<string, string>, secret: SECRET });
      assert.equal(verified.ok, true);
      assert.equal(r.headers['x-signature'] !== undefined && r.headers['webhook-signature'] !== undefined, true);
    }
    assert.deepEqual(await forwarder.pollOnce(0), { received: 0, unreachable: 0 });
    assert.deepEqual(gateway.calls.at(-1)?.ack, [event(1).event_id, event(2).event_id]);
    await forwarder.close();
    assert.equal(gateway.calls.at(-1)?.close, true);
  });

  it('keeps an event it could not deliver (local server down) for the next poll', async () => {
    const queue = [event(3)];
    const gateway = fakeGateway(queue);
    const results: ForwardResult[] = [];
    const down = new WebhookForwarder({ listen: gateway.listen, forwardTo: new URL('http://127.0.0.1:9/nothing-listens'), secret: SECRET, onForwarded: (r) => results.push(r) });
    assert.deepEqual(await down.pollOnce(0), { received: 1, unreachable: 1 });
    assert.equal(results[0]?.status, null);
    assert.match(results[0]?.error ?? '', /could not connect/);
    assert.deepEqual(await down.pollOnce(0), { received: 1, unreachable: 1 }, 'offered again: it was not acknowledged');
    assert.deepEqual(gateway.calls.at(-1)?.ack, []);
  });

  it('sends each poll a different body, so no two carry the same signature', async () => {
    const gateway = fakeGateway([]);
    const forwarder = new WebhookForwarder({ listen: gateway.listen, forwardTo: new URL(url), secret: SECRET, onForwarded: () => {} });
    await forwarder.pollOnce(0);
    await forwarder.pollOnce(0);
    const bodies = gateway.calls.map((c) => JSON.stringify(c));
    assert.equal(new Set(bodies).size, bodies.length);
  });
});
