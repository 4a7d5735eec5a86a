-- Tijori schema, version 1. Amounts are integer minor units; secrets and
-- customer contact details are AES-256-GCM ciphertexts (see lib/field-cipher.ts);
-- the key that opens them is never stored here.

CREATE TABLE settings (
  name text PRIMARY KEY,
  value bytea NOT NULL
);

CREATE TABLE merchants (
  id text PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  api_key text NOT NULL UNIQUE,
  mode text NOT NULL CHECK (mode IN ('test', 'live')),
  secret_enc bytea NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE TABLE orders (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  mode text NOT NULL CHECK (mode IN ('test', 'live')),
  order_ref text NOT NULL,
  order_ref_numeric boolean NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL CHECK (length(currency) = 3),
  note text,
  service_type text NOT NULL CHECK (service_type IN ('DIGITAL', 'PHYSICAL_GOODS')),
  customer_enc bytea NOT NULL,
  return_url text,
  status text NOT NULL DEFAULT 'UN_PAID',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- The same order_id may exist once per merchant in each mode.
  UNIQUE (merchant_id, mode, order_ref)
);
