import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Secret } from '../lib/secret.js';
import { CONFIG_SCHEMA, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const PREFIX = 'TIJORI_';
const FILE_VARIABLE = 'TIJORI_CONFIG_FILE';

function envName(key: string): string {
  return PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
const validate = ajv.compile(CONFIG_SCHEMA);

/**
 * Loads configuration once, at start-up: defaults, then file, then
 * environment. Unknown keys (in the file or as TIJORI_* variables) are fatal,
 * because a misspelt security setting silently ignored is worse than a crash.
 * The result is frozen and passed down; nothing else reads process.env.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const properties = CONFIG_SCHEMA.properties as Record<string, { env?: string }>;
  const merged: Record<string, unknown> = {};

  const file = env[FILE_VARIABLE];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`Cannot read the config file ${file} named by ${FILE_VARIABLE}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`The config file ${file} must hold a JSON object.`);
    }
    Object.assign(merged, parsed);
  }

  const known = new Map<string, string>();
  for (const [key, spec] of Object.entries(properties)) {
    known.set(envName(key), key);
    if (spec.env) known.set(spec.env, key);
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === FILE_VARIABLE) continue;
    const key = known.get(name);
    if (key) {
      if (value !== '') merged[key] = value;
    } else if (name.startsWith(PREFIX)) {
      throw new ConfigError(`Unknown setting ${name}. Known TIJORI_ settings: ${[...known.keys()].filter((k) => k.startsWith(PREFIX)).join(', ')}.`);
    }
  }

  if (!validate(merged)) {
    const problems = (validate.errors ?? []).map((e) => {
      if (e.keyword === 'additionalProperties') return `unknown key "${String(e.params.additionalProperty)}"`;
      const key = e.instancePath.slice(1);
      return `${key} (${envName(key)}) ${e.message ?? 'is invalid'}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}.`);
  }
  if (merged.masterKey !== undefined && merged.masterKeyFile !== undefined) {
    throw new ConfigError('Set only one of TIJORI_MASTER_KEY and TIJORI_MASTER_KEY_FILE.');
  }
  if (merged.kekProvider === 'pkcs11') {
    const missing = ['pkcs11Module', 'pkcs11TokenLabel', 'pkcs11Pin', 'pkcs11KeyLabel'].filter((k) => merged[k] === undefined);
    if (missing.length > 0) throw new ConfigError(`TIJORI_KEK_PROVIDER=pkcs11 needs ${missing.map(envName).join(', ')}.`);
  } else if (merged.databaseUrl !== undefined && merged.masterKey === undefined && merged.masterKeyFile === undefined) {
    throw new ConfigError(
      'With DATABASE_URL set, supply the master key yourself: TIJORI_MASTER_KEY (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or TIJORI_MASTER_KEY_FILE. Keep it away from the database host.',
    );
  }
  checkTransport(merged);
  if (typeof merged.masterKey === 'string') merged.masterKey = new Secret(merged.masterKey);
  if (typeof merged.adminToken === 'string') merged.adminToken = new Secret(merged.adminToken);
  if (typeof merged.previousMasterKeys === 'string') merged.previousMasterKeys = new Secret(merged.previousMasterKeys);
  if (typeof merged.pkcs11Pin === 'string') merged.pkcs11Pin = new Secret(merged.pkcs11Pin);
  return Object.freeze(merged) as unknown as Config;
}

/**
 * HTTPS settings that only make sense together. Production must be reached
 * over HTTPS only, which needs either the certificate here or a proxy in
 * front that terminates TLS and tells us so; refusing to start is kinder than
 * a production gateway that takes API secrets' signatures over plain HTTP.
 */
function checkTransport(merged: Record<string, unknown>): void {
  const hasCert = merged.tlsCertFile !== undefined;
  const hasKey = merged.tlsKeyFile !== undefined;
  if (hasCert !== hasKey) {
    throw new ConfigError(
      `${hasCert ? 'TLS_CERT_FILE is set but TLS_KEY_FILE is not' : 'TLS_KEY_FILE is set but TLS_CERT_FILE is not'}: set both (the PEM certificate chain and its private key) to serve HTTPS, or neither.`,
    );
  }
  const hasProxies = String(merged.trustedProxies ?? '').split(',').some((entry) => entry.trim() !== '');
  if (merged.mode === 'production' && !hasCert && !hasProxies) {
    throw new ConfigError(
      'TIJORI_MODE=production serves HTTPS only: set TLS_CERT_FILE and TLS_KEY_FILE (PEM certificate chain and private key) to terminate TLS in the gateway, or set TIJORI_TRUSTED_PROXIES to the addresses of the TLS-terminating proxy in front of it, which must send X-Forwarded-Proto: https.',
    );
  }
  if (merged.mode === 'production' && typeof merged.publicBaseUrl === 'string' && !merged.publicBaseUrl.startsWith('https://')) {
    throw new ConfigError(
      `TIJORI_PUBLIC_BASE_URL is ${merged.publicBaseUrl}, but TIJORI_MODE=production refuses plain HTTP: give the https:// origin merchants and customers reach the gateway at.`,
    );
  }
}

/** The settings table for the README: name, variable, default, meaning. */
export function describeConfig(): Array<{ key: string; variable: string; default: unknown; description: string }> {
  return Object.entries(CONFIG_SCHEMA.properties).map(([key, spec]) => {
    const s = spec as { env?: string; default?: unknown; description: string };
    return { key, variable: s.env ?? envName(key), default: s.default, description: s.description };
  });
}
