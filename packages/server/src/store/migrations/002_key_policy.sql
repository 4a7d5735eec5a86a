-- Key policy: rotation with overlap, public keys, scheme and IP policies,
-- per-key rate limits, usage by address. Lists are jsonb: the same
-- parameter handling on PGlite and postgres.js.

ALTER TABLE api_keys ADD COLUMN label text;
ALTER TABLE api_keys ADD COLUMN kind text NOT NULL DEFAULT 'hmac' CHECK (kind IN ('hmac', 'public_key'));
ALTER TABLE api_keys ALTER COLUMN secret_enc DROP NOT NULL;
ALTER TABLE api_keys ADD COLUMN public_key_pem text;
ALTER TABLE api_keys ADD COLUMN secret_issued_at timestamptz;
ALTER TABLE api_keys ADD COLUMN previous_secret_enc bytea;
ALTER TABLE api_keys ADD COLUMN previous_secret_expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN allowed_schemes jsonb NOT NULL DEFAULT '["v1", "v2"]';
ALTER TABLE api_keys ADD COLUMN ip_allowlist jsonb NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN ip_allowlist_mode text NOT NULL DEFAULT 'enforce' CHECK (ip_allowlist_mode IN ('enforce', 'report'));
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0);
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ADD COLUMN last_used_ip text;

UPDATE api_keys SET secret_issued_at = created_at;

ALTER TABLE api_keys ADD CONSTRAINT api_keys_secret_or_public_key CHECK (
  (kind = 'hmac' AND secret_enc IS NOT NULL AND public_key_pem IS NULL)
  OR (kind = 'public_key' AND secret_enc IS NULL AND public_key_pem IS NOT NULL));

CREATE INDEX api_keys_merchant ON api_keys (merchant_id);

-- Where each key was used from, flushed from memory in batches (never a write per request).
CREATE TABLE api_key_usage (
  key_id text NOT NULL REFERENCES api_keys (id),
  ip text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  requests bigint NOT NULL DEFAULT 0,
  refused bigint NOT NULL DEFAULT 0,
  outside_allowlist bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, ip)
);
