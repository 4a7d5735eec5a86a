import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountFailure, DashboardAccounts } from '../../core/dashboard/accounts.js';
import { csrfTokenFor, type IssuedSession } from '../../core/dashboard/sessions.js';
import { ApiError } from '../../errors/api-error.js';
import type { Clock } from '../../lib/clock.js';
import type { Db } from '../../store/db.js';
import { listLiveDashboardSessions } from '../../store/queries/dashboard-sessions.js';
import { findMerchant } from '../../store/queries/merchants.js';
import type { ClientAddressResolver } from '../client-address.js';
import { registerJsonBody } from '../json-body.js';
import { clearSessionCookie, registerDashboardAccess, setSessionCookie, signedIn } from './dashboard-access.js';
import type { IntegrationDeps } from './merchant-scope.js';
import { dashboardKeyRoutes } from './dashboard-keys.js';
import { dashboardWebhookRoutes } from './dashboard-webhooks.js';
import { dashboardOrderRoutes } from './dashboard-orders.js';
import { dashboardActivityRoutes } from './dashboard-activity.js';
import { dashboardToolRoutes } from './dashboard-tools.js';

export interface DashboardApiDeps {
  db: Db;
  clock: Clock;
  accounts: DashboardAccounts;
  /** Origins allowed by CORS and the Origin check (parseDashboardOrigins). */
  origins: ReadonlySet<string>;
  mode: 'sandbox' | 'production';
  signUpEnabled: boolean;
  bodyLimitBytes: number;
  clientAddress: ClientAddressResolver;
  /** What the merchant-scoped integration routes (keys, webhooks, orders, audit, alerts, tools) need. */
  integration: IntegrationDeps;
}

export const DASHBOARD_API_PREFIX = '/dashboard/api';

const EMAIL = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$', description: 'an email address' } as const;
// Any length is accepted here; the rules (12 or more characters, not a common password) are checked and explained by the handler.
const PASSWORD = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const CODE = { type: 'string', minLength: 6, maxLength: 40, description: 'a 6-digit code from the authenticator app, or a recovery code' } as const;
const ROLE = { type: 'string', enum: ['owner', 'developer', 'viewer'] } as const;
const ID_PARAM = (name: string, prefix: string) =>
  ({ type: 'object', required: [name], properties: { [name]: { type: 'string', pattern: `^${prefix}[0-9a-f]{24}$` } } }) as const;

function refuse(failure: AccountFailure, reply: FastifyReply): never {
  if (failure.retryAfterSeconds !== undefined) reply.header('retry-after', String(failure.retryAfterSeconds));
  throw new ApiError(failure.code, failure.message, failure.details);
}

function caller(request: FastifyRequest) {
  const ua = request.headers['user-agent'];
  return { clientIp: request.clientIp, userAgent: typeof ua === 'string' ? ua : '' };
}

/**
 * The dashboard's JSON API under /dashboard/api/, for the dashboard's own
 * pages in a browser: a session cookie, not API keys; CSRF and Origin checks
 * on every change; CORS only for configured origins. Registered as its own
 * scope: /api/ and /admin/ see none of it. See docs/dashboard.md.
 */
export async function dashboardApi(app: FastifyInstance, deps: DashboardApiDeps): Promise<void> {
  const { accounts, mode } = deps;
  registerJsonBody(app, deps.bodyLimitBytes, { refuseNul: true });
  app.decorateRequest('clientIp', '');
  registerDashboardAccess(app, { accounts, origins: deps.origins, mode, clientAddress: deps.clientAddress });

  const issue = (request: FastifyRequest, reply: FastifyReply, issued: IssuedSession) => {
    setSessionCookie(request, reply, mode, issued);
    return { stage: issued.session.stage, csrf_token: csrfTokenFor(issued.token) };
  };

  // Preflights: answered by the access hook (this handler never runs).
  app.options('/*', { config: { dashboard: { session: 'none' } } }, async function preflight(_request, reply) {
    return reply.code(204).send();
  });

  app.get('/csrf', { config: { dashboard: { session: ['totp', 'enrol', 'full'] } } }, async function csrf(request) {
    return { csrf_token: csrfTokenFor(signedIn(request).token) };
  });

  app.post(
    '/sign-up',
    {
      config: { dashboard: { session: 'none' } },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['merchant_name', 'email', 'password'],
          properties: { merchant_name: { type: 'string', minLength: 1, maxLength: 200 }, email: EMAIL, password: PASSWORD },
        },
      },
    },
    async function signUp(request, reply) {
      if (!deps.signUpEnabled) throw new ApiError('sign_up_disabled');
      const body = request.body as { merchant_name: string; email: string; password: string };
      const result = await accounts.signUp({ merchantName: body.merchant_name, email: body.email, password: body.password }, caller(request));
      if (!result.ok) refuse(result, reply);
      reply.code(201);
      return issue(request, reply, result.issued);
    },
  );

  app.post(
    '/sign-in',
    {
      config: { dashboard: { session: 'none' } },
      schema: { body: { type: 'object', additionalProperties: false, required: ['email', 'password'], properties: { email: EMAIL, password: PASSWORD } } },
    },
    async function signIn(request, reply) {
      const body = request.body as { email: string; password: string };
      const result = await accounts.signIn(body, caller(request));
      if (!result.ok) refuse(result, reply);
      return issue(request, reply, result.issued);
    },
  );

  app.post(
    '/sign-in/totp',
    {
      config: { dashboard: { session: ['totp'] } },
      schema: { body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: CODE } } },
    },
    async function signInSecondStep(request, reply) {
      const result = await accounts.completeSignIn(signedIn(request).session, (request.body as { code: string }).code, caller(request));
      if (!result.ok) refuse(result, reply);
      return issue(request, reply, result.issued);
    },
  );

  app.post('/sign-out', { config: { dashboard: { session: ['totp', 'enrol', 'full'] } } }, async function signOut(request, reply) {
    const { session } = signedIn(request);
    await accounts.sessions.revoke(session.userId, session.id);
    clearSessionCookie(request, reply, mode);
    return reply.code(204).send();
  });

  app.get('/me', { config: { dashboard: { session: ['totp', 'enrol', 'full'] } } }, async function me(request) {
    const { session, token } = signedIn(request);
    const [user, merchant] = await Promise.all([accounts.findUser(session.userId), findMerchant(deps.db, session.merchantId)]);
    if (!user || !merchant) throw new ApiError('dashboard_sign_in_required');
    return {
      user: await accounts.view(user),
      merchant: { id: merchant.id, name: merchant.name, require_two_factor: session.merchantRequires2fa },
      session: {
        id: session.id,
        stage: session.stage,
        expires_at: session.expiresAt.toISOString(),
        elevated_until: accounts.sessions.isElevated(session) ? session.elevatedUntil?.toISOString() : null,
      },
      csrf_token: csrfTokenFor(token),
    };
  });

  app.post(
    '/reauth',
    {
      config: { dashboard: { session: ['enrol', 'full'] } },
      schema: {
        body: { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { password: PASSWORD, code: CODE } },
      },
    },
    async function reauth(request, reply) {
      const result = await accounts.reauthenticate(signedIn(request).session, request.body as { password?: string; code?: string }, caller(request));
      if (!result.ok) refuse(result, reply);
      return { ...issue(request, reply, result.issued), elevated_until: result.issued.session.elevatedUntil?.toISOString() };
    },
  );

  app.post(
    '/password',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['current_password', 'new_password'],
          properties: { current_password: PASSWORD, new_password: PASSWORD },
        },
      },
    },
    async function changePassword(request, reply) {
      const body = request.body as { current_password: string; new_password: string };
      const result = await accounts.changePassword(signedIn(request).session, { currentPassword: body.current_password, newPassword: body.new_password }, caller(request));
      if (!result.ok) refuse(result, reply);
      return issue(request, reply, result.issued);
    },
  );

  app.get('/sessions', async function listSessions(request) {
    const { session } = signedIn(request);
    const now = deps.clock.nowMs();
    const live = await listLiveDashboardSessions(deps.db, session.userId, new Date(now), new Date(now - accounts.sessions.policy.idleMs));
    return {
      sessions: live.map((s) => ({
        id: s.id,
        current: s.id === session.id,
        stage: s.stage,
        created_at: s.createdAt.toISOString(),
        last_seen_at: s.lastSeenAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        client_ip: s.clientIp,
        user_agent: s.userAgent,
      })),
    };
  });

  app.delete('/sessions/:sessionId', { schema: { params: ID_PARAM('sessionId', 'ses_') } }, async function revokeSession(request, reply) {
    const { session } = signedIn(request);
    const id = (request.params as { sessionId: string }).sessionId;
    if (!(await accounts.sessions.revoke(session.userId, id))) throw new ApiError('session_not_found');
    if (id === session.id) clearSessionCookie(request, reply, mode);
    return reply.code(204).send();
  });

  app.post('/2fa/enrol', { config: { dashboard: { session: ['enrol', 'full'], reauth: true } } }, async function enrolTwoFactor(request, reply) {
    const result = await accounts.enrolTotp(signedIn(request).session);
    if (!result.ok) refuse(result, reply);
    return { secret: result.secret, otpauth_uri: result.otpauthUri, qr_code: result.qrCode };
  });

  app.post(
    '/2fa/confirm',
    {
      config: { dashboard: { session: ['enrol', 'full'] } },
      schema: { body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: CODE } } },
    },
    async function confirmTwoFactor(request, reply) {
      const result = await accounts.confirmTotp(signedIn(request).session, (request.body as { code: string }).code);
      if (!result.ok) refuse(result, reply);
      return { ...issue(request, reply, result.issued), recovery_codes: result.recoveryCodes };
    },
  );

  app.post('/2fa/disable', { config: { dashboard: { reauth: true } } }, async function disableTwoFactor(request, reply) {
    const result = await accounts.disableTotp(signedIn(request).session);
    if (!result.ok) refuse(result, reply);
    return reply.code(204).send();
  });

  app.get('/users', { config: { dashboard: { permission: 'read' } } }, async function listUsers(request) {
    return { users: await accounts.listUsers(signedIn(request).session.merchantId) };
  });

  app.post(
    '/users',
    {
      config: { dashboard: { permission: 'manage_users' } },
      schema: { body: { type: 'object', additionalProperties: false, required: ['email', 'role'], properties: { email: EMAIL, role: ROLE } } },
    },
    async function addUser(request, reply) {
      const body = request.body as { email: string; role: 'owner' | 'developer' | 'viewer' };
      const result = await accounts.addUser(signedIn(request).session.merchantId, body);
      if (!result.ok) refuse(result, reply);
      reply.code(201);
      return { user: result.user, initial_password: result.initialPassword };
    },
  );

  app.patch(
    '/users/:userId',
    {
      config: { dashboard: { permission: 'manage_users' } },
      schema: {
        params: ID_PARAM('userId', 'usr_'),
        body: { type: 'object', additionalProperties: false, required: ['role'], properties: { role: ROLE } },
      },
    },
    async function changeRole(request, reply) {
      const { userId } = request.params as { userId: string };
      const result = await accounts.changeRole(signedIn(request).session.merchantId, userId, (request.body as { role: 'owner' | 'developer' | 'viewer' }).role);
      if (!result.ok) refuse(result, reply);
      return { user: result.user };
    },
  );

  app.put(
    '/merchant/require-2fa',
    {
      config: { dashboard: { permission: 'manage_security', reauth: true } },
      schema: { body: { type: 'object', additionalProperties: false, required: ['required'], properties: { required: { type: 'boolean' } } } },
    },
    async function requireTwoFactor(request) {
      const required = (request.body as { required: boolean }).required;
      await accounts.setMerchantRequires2fa(signedIn(request).session.merchantId, required);
      return { require_two_factor: required };
    },
  );

  // The merchant's integration, scoped to the signed-in user's merchant (see docs/dashboard.md, "Integration API").
  dashboardKeyRoutes(app, deps);
  dashboardWebhookRoutes(app, deps);
  dashboardOrderRoutes(app, deps);
  dashboardActivityRoutes(app, deps);
  dashboardToolRoutes(app, deps);
}
