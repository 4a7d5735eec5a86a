-- Payment attempts: one per try at paying an order, opened when the order
-- enters PROCESSING and completed when it reaches PAID or FAILED.

CREATE TABLE payment_attempts (
  id text PRIMARY KEY,
  order_id text NOT NULL REFERENCES orders (id),
  method text NOT NULL CHECK (method IN ('UPI', 'CARD', 'NET_BANKING')),
  status text NOT NULL CHECK (status IN ('PROCESSING', 'PAID', 'FAILED')),
  bank_reference text,
  started_at timestamptz NOT NULL,
  completed_at timestamptz
);

CREATE INDEX payment_attempts_order ON payment_attempts (order_id, started_at DESC);
