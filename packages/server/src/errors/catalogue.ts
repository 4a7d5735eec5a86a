/**
 * The catalogue of stable error codes. A code is never renamed or reused:
 * integrators branch on `error_code`, so changing one is a breaking change.
 * Every code here is documented in docs/errors.md (a test keeps the two equal).
 */
export const ERRORS = {
  // 401: who is calling, and is this exact request fresh and untampered?
  missing_auth_header: { status: 401, message: 'A required authentication header is missing.' },
  unknown_api_key: { status: 401, message: 'The API key is not recognised.' },
  revoked_api_key: { status: 401, message: 'The API key has been revoked.' },
  expired_api_key: { status: 401, message: "The API key's secret is older than the maximum age; roll the key." },
  merchant_suspended: { status: 401, message: 'The merchant account is suspended.' },
  malformed_timestamp: { status: 401, message: 'X-TIMESTAMP must be a UNIX time in decimal seconds.' },
  timestamp_in_milliseconds: { status: 401, message: 'X-TIMESTAMP was sent in milliseconds; send seconds.' },
  timestamp_outside_window: { status: 401, message: 'X-TIMESTAMP is too far from the server time.' },
  unsupported_signature_version: { status: 401, message: 'X-SIGNATURE-VERSION must be 1 or 2.' },
  signature_scheme_not_allowed: { status: 401, message: 'This API key does not accept that signature scheme.' },
  malformed_signature: { status: 401, message: 'X-SIGNATURE must be 64 hexadecimal characters (HMAC-SHA256).' },
  invalid_signature: { status: 401, message: 'The signature does not match the request.' },
  rotated_secret_expired: { status: 401, message: 'This request was signed with a secret that was rolled and whose overlap has ended; use the new secret.' },
  replayed_request: { status: 401, message: 'This signature has already been used; sign each request afresh.' },

  // 403 / 429: where from, and how often
  https_required: { status: 403, message: 'This gateway accepts HTTPS only; send the request to its https:// URL.' },
  ip_not_allowed: { status: 403, message: "The request came from an address outside this API key's allowlist." },
  rate_limited: { status: 429, message: 'Too many requests for this API key; retry after the time in Retry-After.' },
  too_many_auth_failures: { status: 429, message: 'Too many failed authentications from this address; retry after the time in Retry-After.' },

  // 4xx: the request itself
  not_acceptable: { status: 406, message: 'This API only replies with application/json.' },
  unsupported_media_type: { status: 415, message: 'Content-Type must be application/json.' },
  payload_too_large: { status: 413, message: 'The request body is larger than the limit.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON (UTF-8; in admin and dashboard requests, no string may contain U+0000).' },
  validation_failed: { status: 400, message: 'The request body is not valid.' },
  bad_request: { status: 400, message: 'The request could not be understood.' },
  duplicate_order_id: { status: 409, message: 'An order with this order_id already exists.' },
  order_not_found: { status: 404, message: 'No order with this order_id exists for this API key.' },
  route_not_found: { status: 404, message: 'No such endpoint.' },
  sandbox_only: { status: 403, message: 'This endpoint works with sandbox keys (pk_test_) only.' },
  illegal_transition: { status: 409, message: "The order's current state does not allow that change." },

  // Admin API
  admin_unauthorized: { status: 401, message: 'The admin API needs Authorization: Bearer <admin token>.' },
  merchant_not_found: { status: 404, message: 'No such merchant.' },
  key_not_found: { status: 404, message: 'No such API key.' },
  key_revoked: { status: 409, message: 'The API key is revoked; issue a new one.' },
  merchant_erased: { status: 409, message: 'The merchant was erased (its data key destroyed); nothing new can be stored for it.' },
  webhook_endpoint_not_found: { status: 404, message: 'No such webhook endpoint.' },
  invalid_webhook_url: { status: 400, message: 'The webhook URL is not allowed.' },
  webhook_event_not_found: { status: 404, message: 'No such webhook event.' },
  webhook_delivery_not_found: { status: 404, message: 'No such webhook delivery.' },
  listener_not_found: { status: 404, message: 'No such open listener for this API key; open a new one.' },
  alert_not_found: { status: 404, message: 'No such security alert.' },

  // Dashboard API (/dashboard/api/): signed-in merchant users, cookies and CSRF
  dashboard_sign_in_required: { status: 401, message: 'Sign in to the dashboard first (the session is missing, expired or revoked).' },
  invalid_credentials: { status: 401, message: 'The email or password is not right.' },
  invalid_second_factor: { status: 401, message: 'The authentication code or recovery code is not right, or was already used.' },
  sign_in_throttled: { status: 429, message: 'Too many failed sign-ins; retry after the time in Retry-After.' },
  sign_up_disabled: { status: 403, message: 'Sign-up is turned off on this gateway; ask its operator or an owner of your merchant for an account.' },
  weak_password: { status: 400, message: 'The password is not allowed.' },
  email_taken: { status: 409, message: 'An account with this email already exists.' },
  csrf_token_invalid: { status: 403, message: 'The X-CSRF-Token header is missing or does not belong to this session; fetch it again from GET /dashboard/api/csrf.' },
  origin_not_allowed: { status: 403, message: 'This request came from an origin the dashboard does not accept.' },
  role_not_allowed: { status: 403, message: 'Your role in this merchant does not allow this.' },
  reauthentication_required: { status: 403, message: 'Confirm your password or authentication code again (POST /dashboard/api/reauth) before this action.' },
  two_factor_enrolment_required: { status: 403, message: 'Your merchant requires two-factor authentication: enrol an authenticator app before anything else.' },
  two_factor_already_enabled: { status: 409, message: 'Two-factor authentication is already on for this account.' },
  two_factor_not_enrolled: { status: 409, message: 'Start enrolment first (POST /dashboard/api/2fa/enrol).' },
  two_factor_required_by_merchant: { status: 409, message: 'Your merchant requires two-factor authentication, so it cannot be turned off.' },
  last_owner: { status: 409, message: 'A merchant must keep at least one owner.' },
  user_not_found: { status: 404, message: 'No such user in your merchant.' },
  session_not_found: { status: 404, message: 'No such live session of yours.' },

  // 5xx: ours, never the caller's fault
  internal_error: { status: 500, message: 'Something went wrong on our side. Quote the request_id to support.' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable; retry with a fresh signature.' },
  storage_unavailable: { status: 503, message: 'The database is temporarily unreachable; retry with a fresh signature (an order that was in fact stored is then refused as duplicate_order_id).' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
