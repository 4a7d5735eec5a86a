import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Secret } from '../lib/secret.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
// The embedded default's data directory (config schema's dataDir default), where `tijori serve` writes admin-token.
const DEFAULT_DATA_DIR = './.tijori';

export interface ConnectionOptions {
  url?: string;
  token?: string;
}

export interface Connection {
  baseUrl: string;
  token: Secret<string>;
  /** Things the operator should know but that do not stop the command. */
  warnings: string[];
}

export type ConnectionResult = { ok: true; connection: Connection } | { ok: false; message: string };

/** The variables the CLI reads; the caller passes process.env. */
export interface CliEnv {
  TIJORI_URL?: string | undefined;
  TIJORI_ADMIN_TOKEN?: string | undefined;
  TIJORI_DATA_DIR?: string | undefined;
  /** Read by `tijori audit verify` only, which opens the database itself. */
  DATABASE_URL?: string | undefined;
}

// What the server accepts as a token (config schema) and what an HTTP header can carry.
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Where to connect and with what: --url, else TIJORI_URL, else the local
 * default; --token, else TIJORI_ADMIN_TOKEN, else the token file the
 * embedded default generated (`<TIJORI_DATA_DIR or ./.tijori>/admin-token`).
 * Failures never quote the token.
 */
export function resolveConnection(options: ConnectionOptions, env: CliEnv, cwd: string): ConnectionResult {
  const url = parseBaseUrl(options.url ?? env.TIJORI_URL ?? DEFAULT_URL);
  if (!url.ok) return url;

  const token = findToken(options, env, cwd);
  if (!token.ok) return token;
  if (!TOKEN_SHAPE.test(token.value)) {
    return { ok: false, message: `the admin token from ${token.from} contains spaces or characters a header cannot carry; check it was copied whole.` };
  }

  const warnings: string[] = [];
  if (url.url.protocol === 'http:' && !LOOPBACK.test(url.url.hostname)) {
    warnings.push(`sending the admin token unencrypted to ${url.url.host}; use https:// for a gateway on another machine.`);
  }
  return { ok: true, connection: { baseUrl: url.baseUrl, token: new Secret(token.value), warnings } };
}

function parseBaseUrl(text: string): { ok: true; url: URL; baseUrl: string } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `"${text}" is not a URL; give the gateway's address, e.g. ${DEFAULT_URL}.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: `the gateway URL must start with http:// or https:// (got ${url.protocol}).` };
  if (url.username || url.password) return { ok: false, message: 'the gateway URL must not contain a user or password; the admin token is the only credential.' };
  if (url.search || url.hash) return { ok: false, message: 'the gateway URL must not contain a query or fragment.' };
  // A path is kept, so a gateway behind a prefix (https://ops.example/tijori) works.
  return { ok: true, url, baseUrl: url.origin + url.pathname.replace(/\/+$/, '') };
}

function findToken(options: ConnectionOptions, env: CliEnv, cwd: string): { ok: true; value: string; from: string } | { ok: false; message: string } {
  if (options.token !== undefined) return { ok: true, value: options.token, from: '--token' };
  if (env.TIJORI_ADMIN_TOKEN) return { ok: true, value: env.TIJORI_ADMIN_TOKEN, from: 'TIJORI_ADMIN_TOKEN' };
  const file = resolve(cwd, join(env.TIJORI_DATA_DIR ?? DEFAULT_DATA_DIR, 'admin-token'));
  try {
    return { ok: true, value: readFileSync(file, 'utf8').trim(), from: file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { ok: false, message: `no admin token: pass --token, set TIJORI_ADMIN_TOKEN, or run where the embedded gateway keeps ${join(DEFAULT_DATA_DIR, 'admin-token')} (not found: ${file}).` };
    }
    return { ok: false, message: `cannot read the admin token file ${file} (${code ?? (err as Error).message}).` };
  }
}
