import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DashboardAccounts } from '../../core/dashboard/accounts.js';
import { type Permission, roleAllows } from '../../core/dashboard/roles.js';
import { csrfTokenMatches } from '../../core/dashboard/sessions.js';
import { ApiError } from '../../errors/api-error.js';
import type { SessionContextRow, SessionStage } from '../../store/queries/dashboard-sessions.js';
import { SECURITY_HEADERS } from '../security-headers.js';
import { clearedSessionCookie, cookieMayBeInsecure, readSessionTokens, sessionCookie } from './session-cookie.js';
import type { IssuedSession } from '../../core/dashboard/sessions.js';
import type { ClientAddressResolver } from '../client-address.js';

/** What a dashboard route needs, declared in its `config.dashboard`. */
export interface DashboardAccess {
  /** 'none': no session needed (sign-up, sign-in); otherwise the session stages allowed. Default ['full']. */
  session?: 'none' | readonly SessionStage[];
  permission?: Permission;
  /** The password or a TOTP code must have been given again within the last five minutes. */
  reauth?: boolean;
}

export interface SignedIn {
  session: SessionContextRow;
  /** The cookie value the session was found by: the CSRF token derives from it. */
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session of the request, once the access hook found one. */
    dashboard: SignedIn | null;
    /** The signed-in user's merchant, for the audit log (null outside the dashboard or before sign-in). */
    dashboardMerchantId: string | null;
  }
  interface FastifyContextConfig {
    dashboard?: DashboardAccess;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FULL_ONLY: readonly SessionStage[] = ['full'];

export interface AccessOptions {
  accounts: DashboardAccounts;
  clientAddress: ClientAddressResolver;
  origins: ReadonlySet<string>;
  mode: 'sandbox' | 'production';
}

/**
 * The dashboard API's gate, one onRequest hook before any body is read, in
 * this order: CORS (only configured origins, with credentials; preflights
 * answered here), then for state-changing methods the Origin check, then
 * the session cookie, the session's CSRF token (X-CSRF-Token), its stage
 * (half-finished sign-ins reach only the next step), the role, and a recent
 * re-authentication where the route asks for one.
 */
export function registerDashboardAccess(app: FastifyInstance, options: AccessOptions): void {
  const { accounts, origins } = options;
  app.decorateRequest('dashboard', null);
  app.decorateRequest('dashboardMerchantId', null);

  app.addHook('onRequest', async function dashboardGate(request, reply) {
    request.clientIp = options.clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for']);
    // JSON with account data: the API set (no-store, a CSP that allows nothing, never framed).
    for (const [name, value] of SECURITY_HEADERS.api) reply.header(name, value);
    const origin = request.headers.origin;
    const allowedOrigin = origin !== undefined && origins.has(origin);
    reply.header('vary', 'Origin');
    if (allowedOrigin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
    }
    if (request.method === 'OPTIONS') {
      if (!allowedOrigin) throw new ApiError('origin_not_allowed');
      reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
      reply.header('access-control-allow-headers', 'Content-Type, X-CSRF-Token');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
    // Browsers send Origin with every cross-origin request and every
    // same-origin POST/PUT/PATCH/DELETE; a state change without one, or from
    // anywhere else, did not come from the dashboard.
    if (STATE_CHANGING.has(request.method) && !allowedOrigin) throw new ApiError('origin_not_allowed');

    const access: DashboardAccess = request.routeOptions.config.dashboard ?? {};
    const signedIn = await findSession(accounts, request.headers.cookie);
    if (signedIn) {
      request.dashboard = signedIn;
      request.dashboardMerchantId = signedIn.session.merchantId;
    }
    if (access.session === 'none') return;
    if (!signedIn) throw new ApiError('dashboard_sign_in_required');
    const { session, token } = signedIn;
    if (STATE_CHANGING.has(request.method)) {
      const given = request.headers['x-csrf-token'];
      if (!csrfTokenMatches(token, typeof given === 'string' ? given : undefined)) throw new ApiError('csrf_token_invalid');
    }
    const stages = access.session ?? FULL_ONLY;
    const stage = effectiveStage(session);
    if (!stages.includes(stage)) {
      throw new ApiError(stage === 'enrol' ? 'two_factor_enrolment_required' : 'dashboard_sign_in_required');
    }
    if (access.permission && !roleAllows(session.role, access.permission)) throw new ApiError('role_not_allowed');
    if (access.reauth && !accounts.sessions.isElevated(session)) throw new ApiError('reauthentication_required');
  });
}

/**
 * A full session of a user without 2FA, in a merchant that has since started
 * requiring it, counts as one that must enrol first: the owner's setting
 * applies at once, not at each user's next sign-in.
 */
function effectiveStage(session: SessionContextRow): SessionStage {
  if (session.stage === 'full' && session.merchantRequires2fa && !session.twoFactorEnabled) return 'enrol';
  return session.stage;
}

async function findSession(accounts: DashboardAccounts, cookieHeader: string | undefined): Promise<SignedIn | undefined> {
  for (const token of readSessionTokens(cookieHeader)) {
    const session = await accounts.sessions.resolve(token);
    if (session) return { session, token };
  }
  return undefined;
}

export function signedIn(request: FastifyRequest): SignedIn {
  if (!request.dashboard) throw new Error('a dashboard route that needs a session ran without one: its config.dashboard.session is wrong');
  return request.dashboard;
}

/** Sets the cookie of a new or rotated session. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, mode: 'sandbox' | 'production', issued: IssuedSession): void {
  const secure = !cookieMayBeInsecure(mode, (request.socket as { encrypted?: boolean }).encrypted === true, request.headers.host);
  reply.header('set-cookie', sessionCookie(issued.token, secure));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, mode: 'sandbox' | 'production'): void {
  const secure = !cookieMayBeInsecure(mode, (request.socket as { encrypted?: boolean }).encrypted === true, request.headers.host);
  reply.header('set-cookie', clearedSessionCookie(secure));
}

/**
 * The `reauth: true` check, for a route where only some requests need it
 * (creating or rolling a live key; a sandbox one does not): the route
 * declares no reauth and calls this once it knows the mode.
 */
export function requireRecentReauth(accounts: DashboardAccounts, request: FastifyRequest): void {
  if (!accounts.sessions.isElevated(signedIn(request).session)) throw new ApiError('reauthentication_required');
}
