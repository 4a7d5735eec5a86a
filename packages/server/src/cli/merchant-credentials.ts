/**
 * The credentials of commands that act as a merchant (`tijori request`,
 * `sign`, `verify`, and later `listen` and `trigger`): an API key, what signs
 * (the secret key, or the private key of a public-key API key) and the
 * gateway's URL. Each is taken from the first place that has it:
 *
 *   API key   --api-key       TIJORI_API_KEY     sandbox file api_key
 *   signing   --secret-key    TIJORI_SECRET_KEY  sandbox file secret_key   (or --private-key <pem file>)
 *   URL       --url           TIJORI_URL         sandbox file base_url     http://127.0.0.1:8080
 *
 * The sandbox file is `<TIJORI_DATA_DIR or ./.tijori>/sandbox-credentials.json`,
 * which `tijori serve` writes on first start, so in the directory the gateway
 * runs from no flag is needed.
 *
 * `--secret-key` is accepted: debugging someone's signature with a test
 * secret is a real use, and refusing it would only push people to worse
 * places. The environment is preferred (documented, and a warning for a live
 * secret), because arguments are saved in shell history and visible in `ps`.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Secret } from '../lib/secret.js';
import { DEFAULT_URL } from './connection.js';

export interface MerchantCredentialOptions {
  apiKey?: string;
  secretKey?: string;
  /** Path of a PEM file: the private key of a public-key API key. It signs scheme v2 only. */
  privateKey?: string;
  url?: string;
}

/** The variables read; the caller passes process.env. */
export interface MerchantEnv {
  TIJORI_API_KEY?: string | undefined;
  TIJORI_SECRET_KEY?: string | undefined;
  TIJORI_URL?: string | undefined;
  TIJORI_DATA_DIR?: string | undefined;
}

/** What signs: the HMAC secret (schemes v1 and v2) or a private key in PEM (v2 only). Never printed. */
export type MerchantSigner = { kind: 'secret'; secretKey: Secret<string> } | { kind: 'private_key'; privateKey: Secret<string> };

export interface MerchantCredentials {
  /** pk_test_… or pk_live_…: not a secret (it is sent in every request). */
  apiKey: string;
  signer: MerchantSigner;
  /** e.g. "http://127.0.0.1:8080", no trailing slash; a path prefix is kept. */
  baseUrl: string;
  /** Where each part came from, for messages: "API key from --api-key, secret key from TIJORI_SECRET_KEY, URL from …". */
  source: string;
  /** Worth telling the user on stderr, not worth stopping for. */
  warnings: string[];
}

export type MerchantCredentialsResult = { ok: true; credentials: MerchantCredentials } | { ok: false; message: string };

export type SignerResult =
  | { ok: true; signer: MerchantSigner; from: string; warnings: string[]; sandboxFile: SandboxFile }
  | { ok: false; message: string };

const SANDBOX_FILE_NAME = 'sandbox-credentials.json';
// Where `tijori serve`'s embedded default keeps its data (config schema's dataDir default).
const DEFAULT_DATA_DIR = './.tijori';
// What an HTTP header can carry: the API key is sent as X-API-KEY.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** API key, signer and URL for a command that sends requests as the merchant. Failures never quote a secret. */
export function resolveMerchantCredentials(options: MerchantCredentialOptions, env: MerchantEnv, cwd: string): MerchantCredentialsResult {
  const signer = resolveSigner(options, env, cwd);
  if (!signer.ok) return signer;
  const file = signer.sandboxFile;

  let apiKey: string;
  let apiKeyFrom: string;
  if (options.apiKey !== undefined) [apiKey, apiKeyFrom] = [options.apiKey, '--api-key'];
  else if (env.TIJORI_API_KEY) [apiKey, apiKeyFrom] = [env.TIJORI_API_KEY, 'TIJORI_API_KEY'];
  else {
    const read = file.read();
    if (!read.ok) return { ok: false, message: `no API key: pass --api-key or set TIJORI_API_KEY, or run where the gateway keeps ${join(DEFAULT_DATA_DIR, SANDBOX_FILE_NAME)} (${read.message}).` };
    [apiKey, apiKeyFrom] = [read.value.api_key, file.path];
  }
  if (!HEADER_SAFE.test(apiKey)) return { ok: false, message: `the API key from ${apiKeyFrom} contains spaces or characters a header cannot carry; check it was copied whole.` };

  // A secret from the sandbox file belongs to the file's API key: with another key it could only fail.
  if (signer.from === file.path && apiKeyFrom !== file.path) {
    const read = file.read();
    if (read.ok && read.value.api_key !== apiKey) {
      return { ok: false, message: `the secret key in ${file.path} belongs to ${read.value.api_key}, not ${apiKey} (from ${apiKeyFrom}): set TIJORI_SECRET_KEY to the secret of ${apiKey}.` };
    }
  }
  const pairing = checkPairing(apiKey, signer.signer);
  if (pairing) return { ok: false, message: pairing };

  const url = baseUrl(options, env, file);
  if (!url.ok) return url;
  const froms = [apiKeyFrom, signer.from, url.from];
  const source = froms.every((f) => f === froms[0])
    ? `${froms[0]}`
    : `API key from ${apiKeyFrom}, ${signer.signer.kind === 'secret' ? 'secret key' : 'private key'} from ${signer.from}, URL from ${url.from}`;
  return { ok: true, credentials: { apiKey, signer: signer.signer, baseUrl: url.baseUrl, source, warnings: signer.warnings } };
}

/**
 * Only what signs, for commands that send nothing (`sign`, `verify`):
 * --private-key, --secret-key, TIJORI_SECRET_KEY, else the sandbox file.
 */
export function resolveSigner(options: Pick<MerchantCredentialOptions, 'secretKey' | 'privateKey'>, env: MerchantEnv, cwd: string): SignerResult {
  const file = sandboxFile(env, cwd);
  if (options.privateKey !== undefined && options.secretKey !== undefined) {
    return { ok: false, message: '--secret-key and --private-key exclude each other: an API key is either signed with its secret (HMAC) or with a private key.' };
  }
  if (options.privateKey !== undefined) return readPrivateKey(resolve(cwd, options.privateKey), file);

  let secret: string;
  let from: string;
  const warnings: string[] = [];
  if (options.secretKey !== undefined) {
    [secret, from] = [options.secretKey, '--secret-key'];
    if (secret.startsWith('sk_live_')) warnings.push('a live secret key on the command line is saved in your shell history and visible to other users in ps; set TIJORI_SECRET_KEY instead.');
  } else if (env.TIJORI_SECRET_KEY) {
    [secret, from] = [env.TIJORI_SECRET_KEY, 'TIJORI_SECRET_KEY'];
  } else {
    const read = file.read();
    if (!read.ok) return { ok: false, message: `no secret key: set TIJORI_SECRET_KEY (or pass --secret-key), or run where the gateway keeps ${join(DEFAULT_DATA_DIR, SANDBOX_FILE_NAME)} (${read.message}).` };
    [secret, from] = [read.value.secret_key, file.path];
  }
  if (secret === '') return { ok: false, message: `the secret key from ${from} is empty.` };
  // Whitespace is never part of a Tijori secret; a stray newline from a file would make every signature wrong.
  if (secret.trim() !== secret) return { ok: false, message: `the secret key from ${from} has spaces or a newline around it; remove them (a newline often comes from a file or an echo).` };
  return { ok: true, signer: { kind: 'secret', secretKey: new Secret(secret) }, from, warnings, sandboxFile: file };
}

function readPrivateKey(path: string, file: SandboxFile): SignerResult {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519' && key.asymmetricKeyType !== 'rsa') throw new Error('unsupported');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The parser's message is not passed on: nothing of the key's text may reach the terminal.
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return { ok: false, message: `--private-key: cannot read ${path} (${code}).` };
    return { ok: false, message: `--private-key: ${path} is not an unencrypted PEM private key of type Ed25519 or RSA ("-----BEGIN PRIVATE KEY-----").` };
  }
  return { ok: true, signer: { kind: 'private_key', privateKey: new Secret(pem) }, from: path, warnings: [], sandboxFile: file };
}

/** A sandbox secret (sk_test_) with a live key (pk_live_), or the reverse, cannot sign for it. */
function checkPairing(apiKey: string, signer: MerchantSigner): string | undefined {
  if (signer.kind !== 'secret') return undefined;
  const keyMode = /^pk_(test|live)_/.exec(apiKey)?.[1];
  const secretMode = /^sk_(test|live)_/.exec(signer.secretKey.reveal())?.[1];
  if (keyMode === undefined || secretMode === undefined || keyMode === secretMode) return undefined;
  return `the API key is a ${keyMode} key (pk_${keyMode}_) but the secret key is a ${secretMode} secret (sk_${secretMode}_): sandbox and live credentials are separate pairs.`;
}

function baseUrl(options: MerchantCredentialOptions, env: MerchantEnv, file: SandboxFile): { ok: true; baseUrl: string; from: string } | { ok: false; message: string } {
  let text = DEFAULT_URL;
  let from = 'the default';
  if (options.url !== undefined) [text, from] = [options.url, '--url'];
  else if (env.TIJORI_URL) [text, from] = [env.TIJORI_URL, 'TIJORI_URL'];
  else {
    const read = file.read();
    if (read.ok && read.value.base_url) [text, from] = [read.value.base_url, file.path];
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `${from}: "${text}" is not a URL; give the gateway's address, e.g. ${DEFAULT_URL}.` };
  }
  const wrong =
    url.protocol !== 'http:' && url.protocol !== 'https:' ? `must start with http:// or https:// (got ${url.protocol})`
    : url.username || url.password ? 'must not contain a user or password: requests are authenticated by their signature'
    : url.search || url.hash ? 'must not contain a query or fragment: give the path of each request to the command'
    : undefined;
  if (wrong) return { ok: false, message: `the gateway URL from ${from} ${wrong}.` };
  // A path is kept, so a gateway behind a prefix (https://pay.example/tijori) works.
  return { ok: true, baseUrl: url.origin + url.pathname.replace(/\/+$/, ''), from };
}

interface SandboxCredentials {
  api_key: string;
  secret_key: string;
  base_url?: string;
}

/** The sandbox credentials file, read at most once and only when a value is missing from flags and environment. */
export interface SandboxFile {
  path: string;
  read(): { ok: true; value: SandboxCredentials } | { ok: false; message: string };
}

export function sandboxFile(env: MerchantEnv, cwd: string): SandboxFile {
  const path = resolve(cwd, join(env.TIJORI_DATA_DIR ?? DEFAULT_DATA_DIR, SANDBOX_FILE_NAME));
  let cached: ReturnType<SandboxFile['read']> | undefined;
  return {
    path,
    read: () => (cached ??= readSandboxFile(path)),
  };
}

function readSandboxFile(path: string): ReturnType<SandboxFile['read']> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'ENOENT' ? `not found: ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}` };
  }
  let value: Partial<Record<keyof SandboxCredentials, unknown>>;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return { ok: false, message: `${path} is not JSON` };
  }
  if (typeof value !== 'object' || value === null || typeof value.api_key !== 'string' || typeof value.secret_key !== 'string') {
    return { ok: false, message: `${path} has no api_key and secret_key strings` };
  }
  return { ok: true, value: { api_key: value.api_key, secret_key: value.secret_key, base_url: typeof value.base_url === 'string' ? value.base_url : undefined } };
}
