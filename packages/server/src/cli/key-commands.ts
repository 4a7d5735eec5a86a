import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MAX_OVERLAP_SECONDS } from '../core/api-keys.js';
import type { SchemeName } from './admin-client.js';
import { parseDuration } from './duration.js';
import { allowlistText, keyFields, keysTable, newSecretFields } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, usageError, withConnectionOptions } from './run-admin-command.js';

const SCHEMES: readonly SchemeName[] = ['v1', 'v2'];
const KEY_ARG = ['<key>', 'the API key (pk_test_…, pk_live_…) or its id (key_…)'] as const;

/** `tijori key …`: wraps /admin/v1/keys and a merchant's /keys. */
export function registerKeyCommands(program: Command): void {
  const key = exitTwoOnUsageErrors(program.command('key').description('Issue, inspect, roll, revoke and restrict API keys (admin API)'));

  withConnectionOptions(
    key
      .command('create')
      .description('Issue another API key for a merchant; the secret is printed once')
      .argument('<merchant_id>', 'mer_…')
      .option('--live', 'a live key (pk_live_) instead of a sandbox key')
      .option('--label <text>', 'a note for operators, e.g. "checkout server"')
      .option('--public-key <file>', "register the merchant's public key (PEM: Ed25519 or RSA 2048+) instead of issuing a secret"),
  ).action((merchantId: string, options: CommonOptions & { live?: boolean; label?: string; publicKey?: string }) => {
    const base = { mode: options.live ? ('live' as const) : ('sandbox' as const), ...(options.label !== undefined ? { label: options.label } : {}) };
    if (options.publicKey === undefined) {
      return runAdminCommand(options, (client) => client.createKey(merchantId, base), ({ key: k }) => `Issued ${k.api_key}.\n\n${newSecretFields(k)}`);
    }
    let pem: string;
    try {
      pem = readFileSync(options.publicKey, 'utf8');
    } catch (err) {
      return usageError(`cannot read ${options.publicKey}: ${(err as Error).message}`);
    }
    return runAdminCommand(
      options,
      (client) => client.registerPublicKey(merchantId, { ...base, public_key_pem: pem }),
      ({ key: k }) => `Registered ${k.api_key} for public key ${k.public_key_fingerprint}.\nSign requests with X-SIGNATURE-VERSION: 2 and the private key; no secret exists.\n\n${keyFields(k)}`,
    );
  });

  withConnectionOptions(key.command('list').description("List a merchant's keys (never their secrets)").argument('<merchant_id>', 'mer_…')).action(
    (merchantId: string, options: CommonOptions) => runAdminCommand(options, (client) => client.listKeys(merchantId), ({ keys }) => keysTable(keys)),
  );

  withConnectionOptions(key.command('show').description('Show a key and its policy (never its secret)').argument(...KEY_ARG)).action((ref: string, options: CommonOptions) =>
    runAdminCommand(options, (client) => client.showKey(ref), ({ key: k }) => keyFields(k)),
  );

  withConnectionOptions(
    key
      .command('roll')
      .description('Issue a new secret; the previous one keeps working until the overlap ends')
      .argument(...KEY_ARG)
      .option('--overlap <duration>', 'how long the previous secret stays valid: 30m, 24h, 7d, 3600s or seconds; at most 7d (default: 24h)'),
  ).action((ref: string, options: CommonOptions & { overlap?: string }) => {
    let overlapSeconds: number | undefined;
    if (options.overlap !== undefined) {
      const parsed = parseDuration(options.overlap, MAX_OVERLAP_SECONDS);
      if (!parsed.ok) return usageError(`--overlap: ${parsed.message}`);
      overlapSeconds = parsed.seconds;
    }
    return runAdminCommand(
      options,
      (client) => client.rollKey(ref, overlapSeconds),
      ({ key: k, previous_secret_valid_until: until }) =>
        `Rolled the secret of ${k.api_key}.\n\n${newSecretFields(k)}` +
        (overlapSeconds === 0
          ? 'The previous secret stopped working at once (no overlap).\n'
          : `The previous secret stays valid until ${until}: deploy the new secret before then.\n`),
    );
  });

  withConnectionOptions(key.command('revoke').description('Revoke a key at once, on every process').argument(...KEY_ARG)).action((ref: string, options: CommonOptions) =>
    runAdminCommand(
      options,
      (client) => client.revokeKey(ref),
      ({ key: k }) => `Revoked ${k.api_key} at ${k.revoked_at ?? 'now'}: requests signed with it are refused from now on.\n`,
    ),
  );

  withConnectionOptions(
    key
      .command('allow-ip')
      .description("REPLACE a key's IP allowlist with the given addresses and CIDR ranges (--clear: allow any address)")
      .argument(...KEY_ARG)
      .argument('[cidr...]', 'addresses or ranges, e.g. 203.0.113.7 203.0.113.0/24 2001:db8::/32')
      .option('--report-only', 'let other addresses through but record them (see merchant activity)')
      .option('--clear', 'empty the allowlist: the key works from any address'),
  ).action((ref: string, entries: string[], options: CommonOptions & { reportOnly?: boolean; clear?: boolean }) => {
    if (options.clear && entries.length > 0) return usageError('allow-ip: give addresses or --clear, not both.');
    if (!options.clear && entries.length === 0) {
      return usageError('allow-ip: give at least one address or range (the list replaces the current one), or --clear to allow any address.');
    }
    return runAdminCommand(
      options,
      (client) => client.setIpAllowlist(ref, entries, options.reportOnly ? 'report' : 'enforce'),
      ({ key: k }) => `IP allowlist of ${k.api_key}: ${allowlistText(k)}\n`,
    );
  });

  withConnectionOptions(
    key
      .command('schemes')
      .description('Set the request-signature schemes a key accepts (e.g. just v2 to refuse v1)')
      .argument(...KEY_ARG)
      .argument('<scheme...>', 'v1 and/or v2'),
  ).action((ref: string, schemes: string[], options: CommonOptions) => {
    const unknown = schemes.filter((s) => !SCHEMES.includes(s as SchemeName));
    if (unknown.length > 0) return usageError(`schemes: ${unknown.join(', ')} is not a scheme; use v1 and/or v2.`);
    const chosen = SCHEMES.filter((s) => schemes.includes(s));
    return runAdminCommand(
      options,
      (client) => client.setSchemes(ref, chosen),
      ({ key: k }) => `${k.api_key} accepts signature scheme${k.allowed_schemes.length === 1 ? '' : 's'} ${k.allowed_schemes.join(', ')}.\n`,
    );
  });

  withConnectionOptions(
    key
      .command('rate-limit')
      .description("Override a key's rate limit in requests per minute, or return it to the gateway's default")
      .argument(...KEY_ARG)
      .argument('<per-minute>', 'a whole number of requests per minute, or "default"'),
  ).action((ref: string, perMinuteText: string, options: CommonOptions) => {
    let perMinute: number | null = null;
    if (perMinuteText !== 'default') {
      if (!/^[1-9][0-9]*$/.test(perMinuteText)) return usageError(`rate-limit: "${perMinuteText}" is not a whole number of requests per minute (at least 1) or "default".`);
      perMinute = Number(perMinuteText);
    }
    return runAdminCommand(
      options,
      (client) => client.setRateLimit(ref, perMinute),
      ({ key: k }) => `Rate limit of ${k.api_key}: ${k.rate_limit_per_minute}/min${k.rate_limit_is_default ? " (the gateway's default)" : ''}.\n`,
    );
  });

  withConnectionOptions(key.command('rotation-due').description('Active keys whose secret is older than the rotation policy')).action((options: CommonOptions) =>
    runAdminCommand(
      options,
      (client) => client.rotationDue(),
      ({ keys }) => (keys.length === 0 ? 'No active key is due for rotation.\n' : `${keysTable(keys)}\nRoll each with: tijori key roll <key> [--overlap 24h]\n`),
    ),
  );
}
