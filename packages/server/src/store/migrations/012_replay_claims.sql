-- The replay store's opt-in fallback (TIJORI_REPLAY_FALLBACK=postgres): while
-- Redis cannot answer, accepted signatures are claimed here instead, by the
-- primary key, so two processes cannot both accept one. Only a SHA-256 of
-- the key id and signature is kept, never the signature itself. Rows are
-- useless once the signed timestamp is past the tolerance, and deleted.

CREATE TABLE replay_claims (
  digest bytea PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

CREATE INDEX replay_claims_expires_at ON replay_claims (expires_at);
