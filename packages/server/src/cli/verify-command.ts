import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeSignedStrings, type SignatureScheme } from '@tijori/signing';
import type { Command } from 'commander';
import { type CapturedRequest, lastValue, mergeCaptured, parseHeaderOptions, parseHeadersFile } from './captured-headers.js';
import { DEFAULT_URL } from './connection.js';
import { parseJsonBytes, readData, utf8Text } from './data-option.js';
import { explainRequestSignature, type RequestSignatureVerdict } from '../core/explain-request-signature.js';
import { explainWebhookSignature } from './explain-webhook-signature.js';
import { resolveSigner } from './merchant-credentials.js';
import { maskSecrets, type MerchantIo, parseScheme, printWarnings, processMerchantIo, withV2Options } from './merchant-command.js';
import { EXIT, exitTwoOnUsageErrors, usageError } from './run-admin-command.js';
import { differenceLines, visible } from './visible-string.js';

interface VerifyOptions {
  signature?: string;
  timestamp?: string;
  scheme?: string;
  method?: string;
  path?: string;
  data?: string;
  apiKey?: string;
  secretKey?: string;
  header?: string[];
  headersFile?: string;
  webhook?: boolean;
  secret?: string;
  tolerance?: string;
  json?: boolean;
}

/** `tijori verify`: checks a request signature (or, with --webhook, a webhook delivery) and explains a mismatch. Sends nothing. */
export function registerVerifyCommand(program: Command): void {
  const command = exitTwoOnUsageErrors(program.command('verify'))
    .description('Check a request signature, or a webhook with --webhook, and explain which input differs when it does not match (sends nothing; exit 0 valid, 1 not)')
    .option('--signature <signature>', 'X-SIGNATURE as sent')
    .option('--timestamp <seconds>', 'X-TIMESTAMP as sent')
    .option('--scheme <scheme>', 'the scheme the request declared: v1 (no X-SIGNATURE-VERSION, or 1) or v2 (default: from the headers given, else try both)');
  withV2Options(command)
    .option('-d, --data <data>', 'the body exactly as sent: JSON text, @file or @- (default: the body of --headers-file, else empty)')
    .option('--secret-key <key>', 'the secret key it should verify with (default: $TIJORI_SECRET_KEY, else ./.tijori/sandbox-credentials.json)')
    .option('--api-key <key>', 'X-API-KEY, to spot a test/live mix-up')
    .option('-H, --header <line>', '"Name: value" of the request or delivery; repeatable', (line: string, all: string[] = []) => [...all, line])
    .option('--headers-file <file>', 'the headers in a file: a captured request (request line, headers, blank line, body), curl -D output, or a JSON object')
    .option('--webhook', 'check a webhook delivery instead (both conventions), with --secret')
    .option('--secret <whsec>', "--webhook: the endpoint's signing secret (default: $TIJORI_WEBHOOK_SECRET)")
    .option('--tolerance <seconds>', '--webhook: how old a delivery may be (default: 300)')
    .option('--json', 'print the verdict as JSON')
    .action((options: VerifyOptions) => runVerify(options, processMerchantIo()));
}

export async function runVerify(options: VerifyOptions, io: MerchantIo): Promise<void> {
  let captured: CapturedRequest = { headers: {} };
  if (options.headersFile !== undefined) {
    const file = resolve(io.cwd, options.headersFile);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      return usageError(`--headers-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, io);
    }
    const parsed = parseHeadersFile(bytes, file);
    if (!parsed.ok) return usageError(parsed.message, io);
    captured = parsed.captured;
  }
  const lines = parseHeaderOptions(options.header ?? []);
  if (!lines.ok) return usageError(lines.message, io);
  captured = mergeCaptured(captured, lines.captured);
  let body: Uint8Array = captured.body ?? new Uint8Array(0);
  if (options.data !== undefined) {
    const data = await readData(options.data, io.cwd, io.stdin);
    if (!data.ok) return usageError(data.message, io);
    body = data.bytes;
  }
  return options.webhook ? verifyWebhookDelivery(options, captured, body, io) : verifyRequestSignature(options, captured, body, io);
}

async function verifyRequestSignature(options: VerifyOptions, captured: CapturedRequest, body: Uint8Array, io: MerchantIo): Promise<void> {
  if (options.secret !== undefined || options.tolerance !== undefined) return usageError('--secret and --tolerance are for --webhook; a request signature is checked with --secret-key.', io);
  const signature = options.signature ?? lastValue(captured, 'x-signature');
  const timestamp = options.timestamp ?? lastValue(captured, 'x-timestamp');
  if (signature === undefined || timestamp === undefined) return usageError('give the signature and the timestamp as sent: --signature and --timestamp, or the request\'s headers (-H, --headers-file).', io);
  const declared = declaredScheme(options, captured);
  if (!declared.ok) return usageError(declared.message, io);
  const path = options.path ?? captured.path;
  if (declared.scheme === 'v2' && path === undefined) return usageError('--scheme v2 signs METHOD + PATH + BODY + TIMESTAMP: give --path (and --method unless it is POST).', io);
  const signer = resolveSigner(options, io.env, io.cwd);
  if (!signer.ok) return usageError(signer.message, io);
  if (signer.signer.kind !== 'secret') return usageError('verify checks HMAC signatures with the secret key.', io);
  const secret = signer.signer.secretKey.reveal();

  // Secrets the integrator also has, tried last: a signature made with one of them is explained by it.
  const otherSecrets: { secret: string; from: string }[] = [];
  if (signer.from === '--secret-key' && io.env.TIJORI_SECRET_KEY) otherSecrets.push({ secret: io.env.TIJORI_SECRET_KEY, from: 'TIJORI_SECRET_KEY' });
  const file = signer.sandboxFile.read();
  if (signer.from !== signer.sandboxFile.path && file.ok) otherSecrets.push({ secret: file.value.secret_key, from: signer.sandboxFile.path });

  const safe = maskSecrets(io, [secret, ...otherSecrets.map((o) => o.secret)]);
  printWarnings(safe, signer.warnings);
  const method = (options.method ?? captured.method ?? 'POST').toUpperCase();
  const verdict = explainRequestSignature({
    signature,
    timestamp,
    scheme: declared.scheme,
    method,
    path,
    body,
    secret,
    apiKey: options.apiKey ?? lastValue(captured, 'x-api-key'),
    otherSecrets,
    baseUrl: io.env.TIJORI_URL ?? (file.ok ? file.value.base_url : undefined) ?? DEFAULT_URL,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  const gateway = describeSignedStrings({ rawBody: body, timestamp, method, path: path ?? '', parsedBody: parseJsonBytes(body), allowedSchemes: path === undefined ? ['v1'] : ['v1', 'v2'] });

  if (options.json) {
    // JSON escapes every character already: the text as is (escaped only when it is not UTF-8).
    const text = (bytes: Uint8Array) => utf8Text(bytes) ?? visible(bytes);
    const strings = (v: RequestSignatureVerdict) => ({
      covers: v.covers ? { scheme: v.covers.scheme, signed: text(v.covers.message) } : null,
      expected: v.ok ? undefined : v.expected.map((e) => ({ scheme: e.scheme, signed: text(e.message) })),
    });
    safe.stdout(`${JSON.stringify({ ...verdict, ...strings(verdict), signed_strings: gateway }, null, 2)}\n`);
  } else {
    safe.stdout(renderRequestVerdict(verdict, gateway, io));
  }
  io.setExitCode(verdict.ok ? EXIT.ok : EXIT.refused);
}

function renderRequestVerdict(v: RequestSignatureVerdict, gateway: ReturnType<typeof describeSignedStrings>, io: MerchantIo): string {
  const { out } = io;
  const notes = v.notes.map((n) => `${out.dim('note:')} ${n}\n`).join('');
  if (v.ok) {
    return `${out.green('ok')}: the signature matches (scheme ${v.scheme}, ${v.form === 'raw' ? 'the body as sent' : 'the canonical JSON of the body'}).\nSigned  ${visible(v.covers.message)}\n${notes}`;
  }
  const lines = [`${out.red('mismatch')} (${v.code}): ${v.message}`];
  const expected = v.expected.find((e) => e.scheme === v.covers?.scheme) ?? v.expected[0];
  if (v.covers && expected) {
    const diff = differenceLines([['your signature covers', v.covers.message], [`the request signs (${expected.scheme})`, expected.message]]);
    if (diff.length > 0) lines.push('', ...diff.slice(0, 2), out.red(diff[2] ?? ''));
  } else if (v.code === 'no_match' || v.code === 'secret_mode') {
    lines.push('', 'For these inputs a valid signature covers:');
    for (const e of v.expected) lines.push(`  ${e.scheme}  ${visible(e.message)}`);
    lines.push("As the gateway's sandbox errors show them (details.signed_strings):");
    for (const g of gateway) lines.push(`  ${g.scheme} ${g.form.padEnd(9)}  ${g.signed}`);
  }
  return `${lines.join('\n')}\n${notes}`;
}

async function verifyWebhookDelivery(options: VerifyOptions, captured: CapturedRequest, body: Uint8Array, io: MerchantIo): Promise<void> {
  if (options.signature !== undefined || options.timestamp !== undefined || options.secretKey !== undefined) {
    return usageError('--webhook reads the signature and timestamp from the delivery\'s headers (-H, --headers-file) and takes the endpoint\'s --secret (whsec_…), not --signature, --timestamp or --secret-key.', io);
  }
  const secret = options.secret ?? io.env.TIJORI_WEBHOOK_SECRET;
  if (secret === undefined) return usageError("--webhook needs the endpoint's signing secret: --secret whsec_… or TIJORI_WEBHOOK_SECRET.", io);
  if (Object.keys(captured.headers).length === 0) return usageError("--webhook needs the delivery's headers: -H 'webhook-id: evt_…' … or --headers-file.", io);
  let toleranceSeconds: number | undefined;
  if (options.tolerance !== undefined) {
    if (!/^[0-9]{1,10}$/.test(options.tolerance)) return usageError('--tolerance: whole seconds, e.g. 300.', io);
    toleranceSeconds = Number(options.tolerance);
  }
  const safe = maskSecrets(io, [secret]);
  const verdict = explainWebhookSignature({ body, headers: captured.headers, secret, nowSeconds: Math.floor(Date.now() / 1000), toleranceSeconds });
  const asJson = verdict.ok ? { ok: true, convention: verdict.convention, event_id: verdict.eventId ?? null, timestamp: verdict.timestamp } : verdict;
  if (options.json) safe.stdout(`${JSON.stringify(asJson, null, 2)}\n`);
  else if (verdict.ok) {
    const convention = verdict.convention === 'standard-webhooks' ? 'Standard Webhooks headers' : 'KwikPaisa headers';
    safe.stdout(`${io.out.green('ok')}: a valid delivery (${convention}${verdict.eventId ? `, event ${verdict.eventId}` : ''}, signed at ${new Date(verdict.timestamp * 1000).toISOString()}).\n`);
  } else {
    safe.stdout(`${io.out.red('invalid')} (${verdict.code}): ${verdict.message}\n${verdict.notes.map((n) => `${io.out.dim('note:')} ${n}\n`).join('')}`);
  }
  io.setExitCode(verdict.ok ? EXIT.ok : EXIT.refused);
}

/** The scheme the request declared: --scheme, else its X-SIGNATURE-VERSION (absent means v1 when a captured request is given), else unknown. */
function declaredScheme(options: VerifyOptions, captured: CapturedRequest): { ok: true; scheme: SignatureScheme | undefined } | { ok: false; message: string } {
  if (options.scheme !== undefined) return parseScheme(options.scheme, 'v1');
  const version = lastValue(captured, 'x-signature-version');
  if (version === '2') return { ok: true, scheme: 'v2' };
  if (version === '1' || (version === undefined && lastValue(captured, 'x-signature') !== undefined)) return { ok: true, scheme: 'v1' };
  if (version !== undefined) return { ok: false, message: `X-SIGNATURE-VERSION: ${version}: the gateway knows 1 and 2 only (unsupported_version).` };
  return { ok: true, scheme: undefined };
}
