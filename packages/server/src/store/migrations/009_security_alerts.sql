-- Security alerts raised by the anomaly rules (core/anomaly-detector.ts).
-- An alert is about a merchant's key or traffic; no body, secret or signature
-- is ever part of one.

CREATE TABLE security_alerts (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  mode text NOT NULL CHECK (mode IN ('test', 'live')),
  -- The key (key_…) the rule is about; null for merchant-wide rules (request rate).
  key_id text,
  rule text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  client_ip text,
  summary text NOT NULL,
  details jsonb NOT NULL,
  -- The rule, its subject and (for repeating rules) the time window: the same
  -- anomaly seen again, by this process or another, adds to `occurrences` of
  -- the alert already raised instead of raising (and notifying) a second one.
  dedupe_key text NOT NULL UNIQUE,
  occurrences bigint NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_note text
);

CREATE INDEX security_alerts_recent ON security_alerts (first_seen_at DESC, id);
CREATE INDEX security_alerts_merchant ON security_alerts (merchant_id, first_seen_at DESC);
CREATE INDEX security_alerts_open ON security_alerts (first_seen_at DESC) WHERE acknowledged_at IS NULL;
