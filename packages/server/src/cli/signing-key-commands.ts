import type { Command } from 'commander';
import { MAX_SIGNING_KEY_OVERLAP_SECONDS } from '../core/response-signing-keys.js';
import { parseDuration } from './duration.js';
import { signingKeysTable } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, usageError, withConnectionOptions } from './run-admin-command.js';

/** `tijori signing-key …`: the gateway's own response-signing keys (/admin/v1/signing-keys). */
export function registerSigningKeyCommands(program: Command): void {
  const signingKey = exitTwoOnUsageErrors(
    program.command('signing-key').description("List and rotate the gateway's Ed25519 keys that sign /api/ replies (published at /.well-known/jwks.json)"),
  );

  withConnectionOptions(signingKey.command('list').description('The active key, replaced keys still published, and retired ones')).action((options: CommonOptions) =>
    runAdminCommand(options, (client) => client.listSigningKeys(), ({ signing_keys: keys }) => signingKeysTable(keys)),
  );

  withConnectionOptions(
    signingKey
      .command('rotate')
      .description('Sign with a new key from now on, on every gateway process; the replaced key stays in the JWKS until the overlap ends')
      .option('--overlap <duration>', 'how long the replaced key stays published: 30m, 24h, 7d, 3600s or seconds; 0 removes it at once; at most 30d (default: 24h)'),
  ).action((options: CommonOptions & { overlap?: string }) => {
    let overlapSeconds: number | undefined;
    if (options.overlap !== undefined) {
      const parsed = parseDuration(options.overlap, MAX_SIGNING_KEY_OVERLAP_SECONDS);
      if (!parsed.ok) return usageError(`--overlap: ${parsed.message}`);
      overlapSeconds = parsed.seconds;
    }
    return runAdminCommand(
      options,
      (client) => client.rotateSigningKey(overlapSeconds),
      ({ active, retiring }) =>
        `Replies are now signed with ${active.kid}.\n` +
        (retiring.length === 0
          ? ''
          : retiring.map((k) => (k.status === 'retired' ? `${k.kid} is no longer published.\n` : `${k.kid} stays in /.well-known/jwks.json until ${k.retires_at}.\n`)).join('')),
    );
  });
}
