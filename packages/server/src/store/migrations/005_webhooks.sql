-- Webhooks: endpoints with their secrets, the events that state changes
-- cause, and the durable delivery queue with every attempt recorded.

CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  mode text NOT NULL CHECK (mode IN ('test', 'live')),
  url text NOT NULL,
  events text[] NOT NULL,
  description text,
  enabled boolean NOT NULL DEFAULT true,
  -- Why it was turned off: 'operator', 'gone' (the receiver answered 410), 'failing' (5 days of failures).
  disabled_reason text,
  disabled_at timestamptz,
  -- Start of the current unbroken run of failed attempts; null after a success.
  failing_since timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- What an enqueue joins on: the enabled endpoints of one merchant in one mode.
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, mode) WHERE enabled;

-- Several at once during a roll's overlap; each delivery is signed with every one not yet expired.
CREATE TABLE webhook_secrets (
  id text PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
  secret_enc bytea NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz
);

CREATE INDEX webhook_secrets_endpoint ON webhook_secrets (endpoint_id, created_at DESC);

CREATE TABLE webhook_events (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  mode text NOT NULL CHECK (mode IN ('test', 'live')),
  type text NOT NULL,
  order_id text REFERENCES orders (id),
  -- The exact bytes every attempt sends (canonical JSON): a retry is byte-identical.
  payload text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE INDEX webhook_events_merchant ON webhook_events (merchant_id, created_at DESC);
CREATE INDEX webhook_events_order ON webhook_events (order_id);

CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  event_id text NOT NULL REFERENCES webhook_events (id),
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  -- Attempts claimed so far in the current run (a resend starts a new run at 0).
  attempt_count integer NOT NULL DEFAULT 0,
  -- When it is next due; while an attempt is in flight, the end of that attempt's lease.
  next_attempt_at timestamptz NOT NULL,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (event_id, endpoint_id)
);

-- The dispatcher's claim reads only pending rows, oldest due first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE TABLE webhook_attempts (
  id text PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES webhook_deliveries (id),
  attempt_number integer NOT NULL,
  attempted_at timestamptz NOT NULL,
  status_code integer,
  error_code text,
  latency_ms integer NOT NULL,
  -- The start of the receiver's reply (at most 1 KiB), for debugging; never our secrets.
  response_body text
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
