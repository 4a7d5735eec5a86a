import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import { sendError } from './error-handler.js';

/**
 * The merchant dashboard's page (packages/dashboard, a Vite + Preact app) is
 * built into plain files; this serves them at /dashboard/ from the gateway's
 * own process. Its policy allows scripts, styles and fetches from this
 * origin only, no inline script or style (the build emits none, and a test
 * checks), data: images for the 2FA QR code, and no framing.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Set on every file this serves, over the defaults security-headers.ts gives paths it does not know. */
const PAGE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['content-security-policy', DASHBOARD_CSP],
  // Not no-referrer: the dashboard API checks Origin on state-changing calls,
  // and under no-referrer Chromium may send `Origin: null`. same-origin sends
  // nothing to other sites.
  ['referrer-policy', 'same-origin'],
  ['x-content-type-options', 'nosniff'],
];

// Vite names everything under assets/ by content hash: a changed file is a new URL, so a year is safe.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// index.html names the current hashes: always revalidate (the ETag makes that a 304).
const REVALIDATE = 'no-cache';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
  cacheControl: string;
  etag: string;
}

/** packages/dashboard/dist, found from this file whether it runs from src/http (tsx) or dist/http (built). */
export const DEFAULT_DASHBOARD_DIST = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

export interface DashboardStaticOptions {
  /** The built dashboard; default packages/dashboard/dist. */
  distDir?: string;
}

/**
 * Every file of the build, read into memory once (it is tens of kilobytes),
 * keyed by its URL path. A request is answered only by an exact key lookup,
 * so no URL, encoded or not, can name a file outside the build: there is
 * no path joining at request time to traverse. undefined: not built.
 */
function loadBuild(distDir: string): Map<string, StaticFile> | undefined {
  if (!existsSync(join(distDir, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const body = readFileSync(path);
      const urlPath = `/dashboard/${relative(distDir, path).split(sep).join('/')}`;
      files.set(urlPath, {
        body,
        type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
        cacheControl: urlPath.startsWith('/dashboard/assets/') ? IMMUTABLE : REVALIDATE,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
  };
  walk(distDir);
  return files;
}

/**
 * GET /dashboard and /dashboard/*: a file of the build, or index.html for a
 * client-side route (so a reload of /dashboard/security works). Not
 * /dashboard/api/, which is the dashboard's API: an unknown path there is a
 * JSON 404 like any other API path. Registered at the root: one line in app.ts.
 */
export function registerDashboardStatic(app: FastifyInstance, options: DashboardStaticOptions = {}): void {
  const distDir = options.distDir ?? DEFAULT_DASHBOARD_DIST;
  let build = loadBuild(distDir);

  function serveDashboard(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url.split('?')[0] ?? '';
    if (path === '/dashboard/api' || path.startsWith('/dashboard/api/')) return reply.callNotFound();
    // Built after the gateway started (npm run build in another terminal): pick it up rather than insisting on a restart.
    build ??= loadBuild(distDir);
    if (!build) {
      return sendError(reply, new ApiError('service_unavailable', `The dashboard has not been built: run \`npm run build\` (it builds packages/dashboard into ${distDir}).`));
    }
    let file = build.get(path);
    if (!file) {
      // A missing asset, or any name with an extension, is a 404: answering it with the page would hand a
      // browser HTML where it expects a script. Everything else is a client-side route.
      const last = path.slice(path.lastIndexOf('/') + 1);
      if (path.startsWith('/dashboard/assets/') || last.includes('.')) return reply.callNotFound();
      file = build.get('/dashboard/index.html');
      if (!file) return reply.callNotFound();
    }
    for (const [name, value] of PAGE_HEADERS) reply.header(name, value);
    reply.header('cache-control', file.cacheControl).header('etag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  }

  // Pages, not API: kept out of /openapi.json.
  const routeOptions = { schema: { hide: true } };
  app.get('/dashboard', routeOptions, serveDashboard);
  app.get('/dashboard/*', routeOptions, serveDashboard);
}
