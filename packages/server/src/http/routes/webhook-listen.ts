import type { FastifyInstance } from 'fastify';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../core/webhook-events.js';
import { ApiError } from '../../errors/api-error.js';
import { successEnvelope } from '../../errors/envelope.js';
import type { Clock } from '../../lib/clock.js';
import { ID_PREFIX, newId } from '../../lib/ids.js';
import type { WakeSignal } from '../../lib/wake-signal.js';
import type { Db } from '../../store/db.js';
import { insertListener, queuedEvents, touchListener } from '../../store/queries/webhook-listeners.js';
import { successSchema } from '../order-view.js';
import { FAILURE_SCHEMA, SIGNED_REQUEST_SECURITY } from '../schemas.js';

export interface WebhookListenDeps {
  db: Db;
  clock: Clock;
  /** Notified whenever any process records webhook events. */
  wake: WakeSignal;
}

interface ListenBody {
  listener_id?: string;
  events?: string[];
  ack?: string[];
  wait_seconds?: number;
  close?: boolean;
  poll?: number;
}

// Below the idle timeouts of common proxies (60 s) with room to spare.
export const MAX_WAIT_SECONDS = 25;
const DEFAULT_WAIT_SECONDS = 20;
// Events per reply; the rest come with the next poll.
const BATCH = 50;

const LISTENED_EVENT = {
  type: 'object',
  properties: {
    event_id: { type: 'string' },
    type: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    payload: { type: 'string', description: 'The event body exactly as a webhook delivery sends it (canonical JSON): forward these bytes.' },
  },
} as const;

/**
 * `tijori listen`'s side of the gateway: a long poll, signed and
 * authenticated like every /api/ call (replies signed too), so a developer
 * receives a sandbox merchant's events on a laptop without exposing a URL.
 * The first call opens a listener; from then on the statement that records
 * an event also queues it for the listener, and each poll returns what is
 * queued (waiting up to wait_seconds for something to arrive) until the
 * client acknowledges it: at least once, like webhooks.
 */
export function webhookListenRoute(app: FastifyInstance, deps: WebhookListenDeps): void {
  app.post<{ Body: ListenBody }>('/api/v3/webhooks/listen', {
    schema: {
      summary: 'Receive webhook events by long polling (sandbox keys): open a listener, then poll it, acknowledging what you processed',
      tags: ['webhooks'],
      security: SIGNED_REQUEST_SECURITY,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          listener_id: { type: 'string', pattern: '^wl_[0-9a-f]{24}$', description: 'Absent: open a new listener. Present: poll it.' },
          events: { type: 'array', minItems: 1, maxItems: SUBSCRIBABLE_EVENT_TYPES.length, uniqueItems: true, items: { type: 'string', enum: [...SUBSCRIBABLE_EVENT_TYPES] }, description: 'When opening: the events wanted (default all).' },
          ack: { type: 'array', maxItems: 100, items: { type: 'string', pattern: '^evt_[0-9a-f]{24}$' }, description: 'Events processed since the last poll: they leave the queue.' },
          wait_seconds: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, description: `How long to wait for an event when none is queued (default ${DEFAULT_WAIT_SECONDS}).` },
          close: { type: 'boolean', description: 'Close the listener (after acknowledging `ack`).' },
          poll: { type: 'integer', minimum: 0, description: 'Any number that makes this body differ from the last poll\'s (a counter): a signature is accepted once.' },
        },
      },
      response: {
        200: successSchema(
          { type: 'object', properties: { listener_id: { type: 'string' }, closed: { type: 'boolean' }, events: { type: 'array', items: LISTENED_EVENT } } },
          'Events',
        ),
        '4xx': FAILURE_SCHEMA,
        '5xx': FAILURE_SCHEMA,
      },
    },
    handler: async function listenHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      // A development tool: live events belong at a registered HTTPS endpoint, not on a laptop.
      if (key.mode !== 'test') throw new ApiError('sandbox_only');
      const body = request.body ?? {};
      const now = new Date(deps.clock.nowMs());
      if (body.listener_id === undefined) {
        const id = newId(ID_PREFIX.webhookListener);
        await insertListener(deps.db, { id, merchantId: key.merchantId, mode: key.mode, keyId: key.keyId, events: body.events ?? [...SUBSCRIBABLE_EVENT_TYPES], createdAt: now });
        return reply.code(200).send(successEnvelope(200, 'Listener open', { listener_id: id, closed: false, events: [] }));
      }
      const listener = await touchListener(deps.db, body.listener_id, key.keyId, now, body.ack ?? [], body.close === true);
      if (!listener) throw new ApiError('listener_not_found');
      if (listener.closedAt) return reply.code(200).send(successEnvelope(200, 'Listener closed', { listener_id: listener.id, closed: true, events: [] }));

      const deadline = Date.now() + (body.wait_seconds ?? DEFAULT_WAIT_SECONDS) * 1000;
      let queued = await queuedEvents(deps.db, listener.id, BATCH);
      // A client that hung up is not waited for, nor is anyone once the gateway is shutting down.
      while (queued.length === 0 && Date.now() < deadline && !request.raw.destroyed && !deps.wake.closed) {
        await deps.wake.wait(deadline - Date.now());
        queued = await queuedEvents(deps.db, listener.id, BATCH);
      }
      const events = queued.map((e) => ({ event_id: e.eventId, type: e.type, created_at: e.createdAt.toISOString(), payload: e.payload }));
      return reply.code(200).send(successEnvelope(200, events.length > 0 ? 'Events' : 'No events yet', { listener_id: listener.id, closed: false, events }));
    },
  });
}
