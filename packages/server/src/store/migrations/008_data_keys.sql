-- Envelope encryption: every secret and customer field is sealed with a data
-- key; data keys are stored only wrapped by a key-encryption key (KEK) that
-- never enters the database. Each merchant has its own, so destroying it
-- makes that merchant's stored data unrecoverable (crypto-shredding).

CREATE TABLE data_keys (
  id text PRIMARY KEY,
  -- 'merchant:<mer_…>' for a merchant's data, 'system' for the gateway's own
  -- (settings, signing keys, MAC keys), 'blind-index' for look-up HMACs.
  owner text NOT NULL,
  merchant_id text REFERENCES merchants (id),
  -- Null once destroyed.
  wrapped_key bytea,
  -- Which KEK wrapped it (non-secret name, e.g. local:3f2a…, pkcs11:label).
  kek_id text NOT NULL,
  created_at timestamptz NOT NULL,
  rewrapped_at timestamptz,
  destroyed_at timestamptz
);

-- One live key per owner.
CREATE UNIQUE INDEX data_keys_owner_live ON data_keys (owner) WHERE destroyed_at IS NULL;
-- What a KEK rotation reads: the keys not yet under the current KEK.
CREATE INDEX data_keys_kek ON data_keys (kek_id) WHERE destroyed_at IS NULL;

-- Keyed blind indexes (HMAC under a separate key) for look-ups by customer
-- email or phone; the plaintext is never stored.
ALTER TABLE orders ADD COLUMN customer_email_bidx text;
ALTER TABLE orders ADD COLUMN customer_phone_bidx text;
CREATE INDEX orders_customer_email ON orders (merchant_id, customer_email_bidx);
CREATE INDEX orders_customer_phone ON orders (merchant_id, customer_phone_bidx);

-- A merchant erased by crypto-shredding: its data key is destroyed.
ALTER TABLE merchants ADD COLUMN erased_at timestamptz;
