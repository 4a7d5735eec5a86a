import { signWebhook } from '@tijori/signing';

/** One event as POST /api/v3/webhooks/listen returns it. */
export interface ListenedEvent {
  event_id: string;
  type: string;
  created_at: string;
  /** The webhook body, byte for byte. */
  payload: string;
}

export interface ListenReply {
  listener_id: string;
  closed: boolean;
  events: ListenedEvent[];
}

/** What happened to one forwarded event: the local server's status, or why there was none. */
export interface ForwardResult {
  event: ListenedEvent;
  status: number | null;
  error: string | null;
  latencyMs: number;
}

export interface WebhookForwarderOptions {
  /** A signed POST /api/v3/webhooks/listen with this body; resolves to its return_data, rejects on a refusal or no answer. */
  listen(body: Record<string, unknown>): Promise<ListenReply>;
  forwardTo: URL;
  /** The whsec_ secret the forwarded deliveries are signed with (the local server verifies with it). */
  secret: string;
  events?: readonly string[];
  /** How long each poll waits on the gateway for an event (seconds). */
  waitSeconds?: number;
  /** Per forwarded request. */
  timeoutMs?: number;
  onForwarded(result: ForwardResult): void;
  fetch?: typeof fetch;
  nowSeconds?: () => number;
}

/**
 * `tijori listen`: opens a listener on the gateway, long-polls it, and
 * re-sends each event to a local URL as the gateway's dispatcher would send
 * a webhook (same body, both signature conventions, signed afresh with the
 * session's secret). An event is acknowledged once the local server
 * answered, whatever the status (a developer wants to see a 500, not have it
 * retried forever); if the local server cannot be reached, the event is not
 * acknowledged and comes back with the next poll.
 */
export class WebhookForwarder {
  #listenerId: string | undefined;
  #pendingAck: string[] = [];
  #poll = 0;
  readonly #o: WebhookForwarderOptions;

  constructor(options: WebhookForwarderOptions) {
    this.#o = options;
  }

  get listenerId(): string | undefined {
    return this.#listenerId;
  }

  async open(): Promise<string> {
    const reply = await this.#o.listen({ ...(this.#o.events ? { events: this.#o.events } : {}), poll: ++this.#poll });
    this.#listenerId = reply.listener_id;
    return reply.listener_id;
  }

  /** One poll (acknowledging what was forwarded before), then forwards what came, in order. Says how many came and how many found no local server. */
  async pollOnce(waitSeconds = this.#o.waitSeconds ?? 20): Promise<{ received: number; unreachable: number }> {
    const listenerId = this.#listenerId ?? (await this.open());
    const ack = this.#pendingAck;
    const reply = await this.#o.listen({ listener_id: listenerId, wait_seconds: waitSeconds, ack, poll: ++this.#poll });
    this.#pendingAck = [];
    let unreachable = 0;
    for (const event of reply.events) {
      const result = await this.#forward(event);
      this.#o.onForwarded(result);
      if (result.status !== null) this.#pendingAck.push(event.event_id);
      else unreachable++;
    }
    return { received: reply.events.length, unreachable };
  }

  /** Acknowledges what was forwarded and closes the listener on the gateway. */
  async close(): Promise<void> {
    if (!this.#listenerId) return;
    await this.#o.listen({ listener_id: this.#listenerId, ack: this.#pendingAck, close: true, wait_seconds: 0, poll: ++this.#poll });
    this.#pendingAck = [];
    this.#listenerId = undefined;
  }

  async #forward(event: ListenedEvent): Promise<ForwardResult> {
    const now = this.#o.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    const headers = {
      ...signWebhook({ secrets: [this.#o.secret], eventId: event.event_id, timestamp: now(), body: event.payload }),
      'content-type': 'application/json',
      'user-agent': 'Tijori-CLI-Listen',
      'x-tijori-event': event.type,
    };
    const started = performance.now();
    try {
      const res = await (this.#o.fetch ?? fetch)(this.#o.forwardTo, {
        method: 'POST',
        headers,
        body: event.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
      });
      // Drained, so the connection can be reused; the body itself is not shown.
      await res.arrayBuffer().catch(() => undefined);
      return { event, status: res.status, error: null, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      const error = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : `could not connect (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`;
      return { event, status: null, error, latencyMs: Math.round(performance.now() - started) };
    }
  }
}
