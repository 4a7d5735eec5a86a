/**
 * The dashboard's one client for the gateway's /dashboard/api/ (written by
 * packages/server/src/http/dashboard/). Every call is same-origin with the
 * session cookie; every state-changing call carries the CSRF token in
 * X-CSRF-Token (the browser adds Origin itself). Failures are values:
 * `{ ok: false, error }`, never thrown, so each screen decides what to say.
 *
 * Written against packages/server/src/http/dashboard/dashboard-api.ts: the
 * server's JSON (snake_case) is mapped here to the shapes the screens use,
 * so a change of wire format touches this file alone. The CSRF token is the
 * session's: every reply that rotates the session (sign-in steps, 2FA
 * confirmation, re-authentication) carries the new one, and GET /me does.
 */
const API = '/dashboard/api';

export interface ApiError {
  status: number;
  /** The server's stable error code, or 'network_error' when no reply came. */
  code: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type Mode = 'sandbox' | 'live';

export type Stage = 'full' | 'totp' | 'enrol';

export interface Me {
  /** 'full': signed in; 'totp': password accepted, code awaited; 'enrol': the merchant requires 2FA first. */
  stage: Stage;
  user: { id: string; email: string; role: string; totpEnabled: boolean };
  merchant: { id: string; name: string; requireTwoFactor: boolean };
  sessionId: string;
}

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  /** An image URL for the QR code (a data: URL), when the server sends one. */
  qrImage: string | undefined;
}

export interface SessionInfo {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  clientIp: string;
  userAgent: string;
}

let csrfToken: string | undefined;
let onSessionEnded: (() => void) | undefined;

/** Called when a signed-in call finds the session gone (expired, revoked from another browser, signed out elsewhere). */
export function whenSessionEnds(listener: () => void): void {
  onSessionEnded = listener;
}

async function call<T>(method: string, path: string, body?: unknown, map?: (json: any) => T): Promise<Result<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    return { ok: false, error: { status: 0, code: 'network_error', message: 'The gateway could not be reached. Check your connection and try again.' } };
  }
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    // GET /me answering this is how the page learns nobody is signed in; anywhere else it means the session just ended.
    if (json?.error_code === 'dashboard_sign_in_required' && path !== '/me') {
      csrfToken = undefined;
      onSessionEnded?.();
    }
    return {
      ok: false,
      error: {
        status: res.status,
        code: String(json?.error_code ?? json?.code ?? `http_${res.status}`),
        message: String(json?.message ?? json?.error ?? `The gateway answered ${res.status}.`),
      },
    };
  }
  if (json && typeof json.csrf_token === 'string') csrfToken = json.csrf_token;
  return { ok: true, value: map ? map(json) : (json as T) };
}

function toMe(json: any): Me {
  const totpEnabled = Boolean(json.user?.two_factor_enabled);
  const requireTwoFactor = Boolean(json.merchant?.require_two_factor);
  let stage: Stage = json.session?.stage ?? 'full';
  // As the server's access gate counts it: a merchant that starts requiring 2FA sends its users without it to enrol at once.
  if (stage === 'full' && requireTwoFactor && !totpEnabled) stage = 'enrol';
  return {
    stage,
    user: { id: json.user?.id, email: json.user?.email, role: json.user?.role, totpEnabled },
    merchant: { id: json.merchant?.id, name: json.merchant?.name, requireTwoFactor },
    sessionId: json.session?.id,
  };
}

const toStage = (json: any): Stage => json?.stage ?? 'full';

export const api = {
  /** The signed-in user, merchant and session (any stage); 401 dashboard_sign_in_required when there is none. */
  me: () => call('GET', '/me', undefined, toMe),
  /** A new merchant (sandbox) and its owner, signed in: a full session. */
  signUp: (input: { email: string; password: string; merchantName: string }) =>
    call('POST', '/sign-up', { email: input.email, password: input.password, merchant_name: input.merchantName }, toStage),
  /** The password step: stage 'totp' when the account has 2FA, 'enrol' when the merchant requires it and the user has none. */
  signIn: (input: { email: string; password: string }) => call('POST', '/sign-in', input, toStage),
  /** The second step: a TOTP code or a recovery code. */
  signInCode: (code: string) => call('POST', '/sign-in/totp', { code }, toStage),
  /** Opens sensitive actions for five minutes (the server rotates the session). */
  reauthenticate: (password: string) => call('POST', '/reauth', { password }, () => undefined),
  signOut: async () => {
    const result = await call('POST', '/sign-out', {}, () => undefined);
    csrfToken = undefined;
    return result;
  },
  enrolTotp: () =>
    call('POST', '/2fa/enrol', {}, (json): Enrolment => ({
      secret: json.secret,
      otpauthUri: json.otpauth_uri,
      // Only a data: image is shown: the page's policy allows no other image source but its own origin.
      qrImage: typeof json.qr_code === 'string' && json.qr_code.startsWith('data:image/') ? json.qr_code : undefined,
    })),
  /** Turns 2FA on with a first code; the reply's recovery codes are shown once. */
  confirmTotp: (code: string) => call('POST', '/2fa/confirm', { code }, (json): string[] => json.recovery_codes ?? []),
  sessions: () =>
    call('GET', '/sessions', undefined, (json): SessionInfo[] =>
      (json.sessions ?? []).map((s: any) => ({ id: s.id, current: Boolean(s.current), createdAt: s.created_at, lastSeenAt: s.last_seen_at, clientIp: s.client_ip, userAgent: s.user_agent })),
    ),
  revokeSession: (id: string) => call('DELETE', `/sessions/${encodeURIComponent(id)}`, undefined, () => undefined),
};
