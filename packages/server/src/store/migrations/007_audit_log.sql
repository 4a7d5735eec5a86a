-- The audit log: one record per /api/ and /admin/ call, in a hash chain.
-- Never bodies, secrets, signatures or query strings (core/audit-trail.ts).

CREATE TABLE audit_log (
  -- Contiguous from 1, assigned when a batch is flushed, under the head row's lock:
  -- a record lost before its flush leaves no hole, so a hole means a deletion.
  seq bigint PRIMARY KEY,
  -- When the reply finished (the gateway's clock).
  at timestamptz NOT NULL,
  request_id text NOT NULL,
  -- The calling merchant and key (key_…), when authentication got as far as naming one; null for admin calls.
  merchant_id text,
  key_id text,
  client_ip text NOT NULL,
  method text NOT NULL,
  -- Without the query string.
  path text NOT NULL,
  status integer NOT NULL,
  error_code text,
  latency_ms double precision NOT NULL,
  -- hash = hex(SHA-256(prev_hash || '\n' || canonical JSON of the fields above, seq included)).
  prev_hash text NOT NULL,
  hash text NOT NULL
);

-- The admin API's filters; each pages by seq.
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, seq) WHERE merchant_id IS NOT NULL;
CREATE INDEX audit_log_key ON audit_log (key_id, seq) WHERE key_id IS NOT NULL;
-- Time rises with seq almost exactly: a block-range index is enough and costs next to nothing per insert.
CREATE INDEX audit_log_at ON audit_log USING brin (at);
-- Refusals are the few rows worth finding by outcome; successes are most of the table and read in seq order.
CREATE INDEX audit_log_failures ON audit_log (status, seq) WHERE status >= 400;

-- The end of the chain. Every flush locks this row (SELECT … FOR UPDATE), so
-- flushes from any number of processes append one after another; `tijori
-- audit verify` compares the last record with it, which is how records
-- deleted from the end are found.
CREATE TABLE audit_chain_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);

INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
