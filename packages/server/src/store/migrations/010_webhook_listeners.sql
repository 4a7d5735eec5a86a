-- `tijori listen`: a developer's CLI receives a sandbox merchant's events by
-- long-polling the gateway (POST /api/v3/webhooks/listen) instead of exposing
-- a public URL. Each running CLI is a listener; the statement that records an
-- event also queues it for every open listener of the merchant and mode that
-- wants it (store/queries/webhook-deliveries.ts), so nothing is missed
-- between polls. Events stay queued until the CLI acknowledges them.

CREATE TABLE webhook_listeners (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  mode text NOT NULL CHECK (mode IN ('test', 'live')),
  -- The API key (key_…) that opened it: only that key polls it.
  key_id text NOT NULL,
  events text[] NOT NULL,
  created_at timestamptz NOT NULL,
  -- Moved on by every poll; a listener not polled for 10 minutes gets no new events, and is deleted after a day.
  seen_at timestamptz NOT NULL,
  closed_at timestamptz
);

-- What an enqueue joins on: the open listeners of one merchant in one mode (usually none).
CREATE INDEX webhook_listeners_merchant ON webhook_listeners (merchant_id, mode) WHERE closed_at IS NULL;

CREATE TABLE webhook_listener_events (
  listener_id text NOT NULL REFERENCES webhook_listeners (id) ON DELETE CASCADE,
  event_id text NOT NULL REFERENCES webhook_events (id),
  queued_at timestamptz NOT NULL,
  PRIMARY KEY (listener_id, event_id)
);
