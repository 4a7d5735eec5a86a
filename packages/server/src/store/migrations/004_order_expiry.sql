-- Orders expire: UN_PAID becomes EXPIRED at expires_at (creation + the lifetime configured then).

ALTER TABLE orders ADD COLUMN expires_at timestamptz;
UPDATE orders SET expires_at = created_at + interval '30 minutes';
ALTER TABLE orders ALTER COLUMN expires_at SET NOT NULL;

-- What the expiry sweep reads: only the orders still waiting for payment.
CREATE INDEX orders_unpaid_expiry ON orders (expires_at) WHERE status = 'UN_PAID';
