import { checkTimestamp, describeSignedStrings, signRequest } from '@tijori/signing';
import { messageBytes, signedMessage } from '@tijori/signing/messages';
import type { Command } from 'commander';
import { readData, utf8Text } from './data-option.js';
import { resolveSigner } from './merchant-credentials.js';
import { maskSecrets, type MerchantIo, parseScheme, printWarnings, processMerchantIo, withSignerOptions, withV2Options } from './merchant-command.js';
import { EXIT, exitTwoOnUsageErrors, usageError } from './run-admin-command.js';
import { renderFields } from './table.js';
import { visible } from './visible-string.js';

interface SignOptions {
  secretKey?: string;
  privateKey?: string;
  timestamp?: string;
  scheme?: string;
  method?: string;
  path?: string;
  data?: string;
  json?: boolean;
}

const FORMULA = {
  v1: 'hex(HMAC-SHA256(secret_key, BODY + TIMESTAMP))',
  v2: 'hex(HMAC-SHA256(secret_key, METHOD + PATH + BODY + TIMESTAMP))',
  private: 'base64(signature by the private key over METHOD + PATH + BODY + TIMESTAMP)',
} as const;

/** `tijori sign`: the signature for a body, timestamp and secret, and the exact string signed. Sends nothing. */
export function registerSignCommand(program: Command): void {
  const command = exitTwoOnUsageErrors(program.command('sign'))
    .description('Compute a request signature and show the exact string signed, to compare with your own code (sends nothing)')
    .option('-d, --data <data>', 'the body exactly as sent: JSON text, @file or @- (default: empty)')
    .option('--timestamp <seconds>', 'X-TIMESTAMP as sent (default: now)')
    .option('--scheme <scheme>', 'v1 or v2 (default: v2 when --path is given, else v1)')
    .option('--json', 'print the result as JSON');
  withSignerOptions(withV2Options(command)).action((options: SignOptions) => runSign(options, processMerchantIo()));
}

export async function runSign(options: SignOptions, io: MerchantIo): Promise<void> {
  const signer = resolveSigner(options, io.env, io.cwd);
  if (!signer.ok) return usageError(signer.message, io);
  const usesKey = signer.signer.kind === 'private_key';
  const scheme = parseScheme(options.scheme, options.path !== undefined || usesKey ? 'v2' : 'v1');
  if (!scheme.ok) return usageError(scheme.message, io);
  if (usesKey && scheme.scheme === 'v1') return usageError('--scheme v1 cannot be signed with a private key: public-key signatures use v2 only.', io);
  if (scheme.scheme === 'v2' && options.path === undefined) return usageError('--scheme v2 signs METHOD + PATH + BODY + TIMESTAMP: give --path (and --method unless it is POST).', io);
  if (scheme.scheme === 'v1' && (options.path !== undefined || options.method !== undefined)) return usageError('--method and --path are signed by v2 only; add --scheme v2 or leave them out.', io);
  const data = await readData(options.data, io.cwd, io.stdin);
  if (!data.ok) return usageError(data.message, io);
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  if (timestamp === '') return usageError('--timestamp: give the X-TIMESTAMP value, e.g. 1778659835.', io);

  const safe = maskSecrets(io, [signer.signer.kind === 'secret' ? signer.signer.secretKey.reveal() : undefined]);
  printWarnings(safe, signer.warnings);
  const method = (options.method ?? 'POST').toUpperCase();
  const path = options.path ?? '';
  const body = data.bytes;
  const signature =
    signer.signer.kind === 'secret'
      ? signRequest({ scheme: scheme.scheme, secret: signer.signer.secretKey.reveal(), timestamp, body, method, path })
      : signRequest({ scheme: 'v2', privateKey: signer.signer.privateKey.reveal(), timestamp, body, method, path });
  const signed = messageBytes(signedMessage(scheme.scheme, { timestamp, body, method, path }));
  // The gateway's sandbox error shows this same line in details.signed_strings: compare the two.
  const described = describeSignedStrings({ rawBody: body, timestamp, method, path, allowedSchemes: [scheme.scheme] })[0];
  const v2 = scheme.scheme === 'v2';

  if (options.json) {
    safe.stdout(`${JSON.stringify({
      signature,
      scheme: scheme.scheme,
      timestamp,
      method: v2 ? method : null,
      path: v2 ? path : null,
      // null when the body is not UTF-8: a JSON string could not hold its bytes.
      signed_string: utf8Text(signed) ?? null,
      signed_strings_view: described?.signed ?? null,
      body_sha256: described?.body_sha256 ?? null,
      body_length: body.length,
    }, null, 2)}\n`);
  } else {
    safe.stdout(
      renderFields([
        ['Signature', signature],
        ['Scheme', `${scheme.scheme}: ${usesKey ? FORMULA.private : FORMULA[scheme.scheme]}`],
        ...(v2 ? ([['Method', method], ['Path', path]] as const) : []),
        ['Timestamp', timestamp],
        ['Body', `${body.length} bytes, sha256 ${described?.body_sha256 ?? '-'}`],
        ['Signed', visible(signed)],
        ['Gateway shows', described?.signed ?? '-'],
      ]),
    );
  }
  for (const note of signNotes(timestamp, body)) safe.stderr(`${io.err.dim('note:')} ${note}\n`);
  io.setExitCode(EXIT.ok);
}

/** What would make this signature fail at the gateway even though it is computed right. */
function signNotes(timestamp: string, body: Uint8Array): string[] {
  const notes: string[] = [];
  const check = checkTimestamp(timestamp, Number(timestamp));
  if (!check.ok) notes.push(`the gateway would refuse this timestamp (${check.code}): ${check.message}`);
  if (body.at(-1) === 0x0a) notes.push('the body ends with a newline, and it is signed: send it too (curl --data-binary @file keeps it; curl -d @file strips it).');
  return notes;
}
