-- Dashboard accounts (core/dashboard/). Nothing here opens a live session or
-- reveals an email when the database is read: emails are sealed with the
-- merchant's data key and found through a keyed blind index, passwords and
-- recovery codes are hashed, TOTP secrets sealed, session ids stored as
-- their SHA-256 only.

CREATE TABLE dashboard_users (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  -- Sealed (AES-256-GCM, the merchant's data key) JSON string of the email as typed.
  email_enc bytea NOT NULL,
  -- HMAC of the normalised email under the blind-index key, one gateway-wide
  -- scope (Keyring.userEmailIndex): sign-in finds the account before it knows
  -- the merchant, so one email is one account across the gateway.
  email_bidx text NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('owner', 'developer', 'viewer')),
  -- argon2id, PHC string (parameters inside, so they can be raised later).
  password_hash text NOT NULL,
  -- Sealed with the merchant's data key; set at enrolment, in force once confirmed.
  totp_secret_enc bytea,
  totp_enabled_at timestamptz,
  -- The last RFC 6238 time step accepted: a code is never accepted twice.
  totp_last_step bigint,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX dashboard_users_merchant ON dashboard_users (merchant_id, created_at);

-- One-time recovery codes: SHA-256 of 80 random bits each (too many to
-- search offline, so a slow hash would add nothing); used_at set on use.
CREATE TABLE dashboard_recovery_codes (
  user_id text NOT NULL REFERENCES dashboard_users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Failed sign-ins per email index, whether or not an account has that email,
-- so the lockout looks the same for unknown emails (no enumeration).
CREATE TABLE dashboard_sign_in_failures (
  email_bidx text PRIMARY KEY,
  failures integer NOT NULL,
  last_failed_at timestamptz NOT NULL
);

CREATE INDEX dashboard_sign_in_failures_age ON dashboard_sign_in_failures (last_failed_at);

CREATE TABLE dashboard_sessions (
  -- What lists and revocations name; never accepted as a credential.
  id text PRIMARY KEY,
  -- SHA-256 (base64url) of the cookie value: a database read yields no live session.
  token_hash text NOT NULL UNIQUE,
  user_id text NOT NULL REFERENCES dashboard_users (id) ON DELETE CASCADE,
  merchant_id text NOT NULL REFERENCES merchants (id),
  -- totp: password accepted, code awaited; enrol: the merchant requires 2FA
  -- and this user must enrol before anything else; full: signed in.
  stage text NOT NULL CHECK (stage IN ('totp', 'enrol', 'full')),
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  elevated_until timestamptz,
  client_ip text NOT NULL,
  user_agent text NOT NULL,
  revoked_at timestamptz
);

CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id, created_at);

ALTER TABLE merchants ADD COLUMN dashboard_require_2fa boolean NOT NULL DEFAULT false;
