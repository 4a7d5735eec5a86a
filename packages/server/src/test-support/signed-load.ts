import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { postJson } from './gateway-processes.js';

export interface MerchantKey {
  api_key: string;
  secret_key: string;
}

export interface LoadOutcome {
  /** Which process the load was aimed at (a name the test chose). */
  process: string;
  kind: 'create' | 'status';
  orderId: string;
  startedAt: number;
  endedAt: number;
  ms: number;
  /** 0: no reply (the client gave up after its timeout, or the connection failed). */
  status: number;
  code: string | undefined;
}

/** A signed POST (signed now); the reply's status and error_code. A reply later than `timeoutMs` rejects: to the caller, a hang. */
export async function signedCall(base: string, key: MerchantKey, path: string, body: Record<string, unknown>, timeoutMs: number): Promise<{ status: number; code: string | undefined }> {
  const reply = await postJson(base, path, body, { key }, timeoutMs);
  return { status: reply.status, code: reply.body.error_code as string | undefined };
}

/** A create request with a fresh order id starting with `tag`. */
export function newOrder(tag: string): Record<string, unknown> {
  return {
    order_id: `${tag}-${randomBytes(6).toString('hex')}`,
    order_amount: '10.00',
    order_currency: 'INR',
    service_type: 'DIGITAL',
    customer: { name: 'Load', email: 'load@example.com', phone: '9876543210' },
  };
}

/**
 * Steady signed load on one process: `loops` concurrent clients, each
 * creating an order, then reading its status (or, after a refused create, a
 * missing order's, so status calls keep coming through an outage), until the
 * returned function is called. Every reply, or its absence, goes to `outcomes`.
 */
export function startSignedLoad(options: { process: string; base: string; key: MerchantKey; tag: string; loops: number; timeoutMs: number; outcomes: LoadOutcome[] }): () => Promise<void> {
  const { base, key, tag, timeoutMs, outcomes } = options;
  let running = true;
  async function timed(kind: LoadOutcome['kind'], orderId: string, send: () => Promise<{ status: number; code: string | undefined }>): Promise<LoadOutcome> {
    const startedAt = performance.now();
    let reply: { status: number; code: string | undefined };
    try {
      reply = await send();
    } catch (err) {
      reply = { status: 0, code: `client: ${(err as Error).name} ${(err as Error).message}` };
    }
    const endedAt = performance.now();
    const outcome = { process: options.process, kind, orderId, startedAt, endedAt, ms: Math.round(endedAt - startedAt), ...reply };
    outcomes.push(outcome);
    return outcome;
  }
  const loop = async (i: number) => {
    while (running) {
      const body = newOrder(`${tag}${i}`);
      const orderId = body.order_id as string;
      const created = await timed('create', orderId, () => signedCall(base, key, '/api/v3/pg/order/create', body, timeoutMs));
      await timed('status', orderId, () => signedCall(base, key, '/api/v3/pg/order/status', { order_id: created.status === 200 ? orderId : `${orderId}-none` }, timeoutMs));
    }
  };
  const done = Promise.all(Array.from({ length: options.loops }, (_, i) => loop(i)));
  return async () => {
    running = false;
    await done;
  };
}

/** One line counting the replies by process, kind, status and error code: for assertion messages and the figures a test prints. */
export function summarise(outcomes: readonly LoadOutcome[]): string {
  const byReply = new Map<string, number>();
  for (const o of outcomes) {
    const k = `${o.process} ${o.kind} ${o.status} ${o.code ?? ''}`.trim();
    byReply.set(k, (byReply.get(k) ?? 0) + 1);
  }
  return [...byReply].map(([k, n]) => `${k}: ${n}`).join('; ');
}
