-- The gateway's own Ed25519 keys for signing /api/ replies (RFC 9421), with
-- rotation. The private key is stored only sealed (AES-256-GCM, bound to its
-- row); the public half is what /.well-known/jwks.json lists.

CREATE TABLE gateway_signing_keys (
  kid text PRIMARY KEY,
  private_key_enc bytea NOT NULL,
  -- The JWK as published (kty, crv, x, kid, use, alg): public material only.
  public_jwk text NOT NULL,
  created_at timestamptz NOT NULL,
  -- Null: the active key, the one replies are signed with. Set: replaced,
  -- still published until then so that replies signed just before the
  -- rotation keep verifying, and gone from the JWKS after.
  retires_at timestamptz
);

-- At most one active key, whatever several processes starting at once do:
-- each inserts with ON CONFLICT DO NOTHING and then reads the one that won.
CREATE UNIQUE INDEX gateway_signing_keys_one_active ON gateway_signing_keys ((true)) WHERE retires_at IS NULL;
