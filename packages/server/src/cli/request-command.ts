import type { Command } from 'commander';
import type { AdminFailureBody } from './admin-client.js';
import { curlCommand } from './curl-command.js';
import { readData } from './data-option.js';
import { type MerchantCredentialOptions, type MerchantCredentials, resolveMerchantCredentials } from './merchant-credentials.js';
import { maskSecrets, type MerchantIo, parseScheme, printWarnings, processMerchantIo, withMerchantOptions } from './merchant-command.js';
import { EXIT, exitTwoOnUsageErrors, usageError } from './run-admin-command.js';
import { prepareSignedRequest, readTijoriReply, sendSigned, type SignedReply } from './signed-request.js';

interface RequestOptions extends MerchantCredentialOptions {
  data?: string;
  scheme?: string;
  printCurl?: boolean;
  include?: boolean;
  json?: boolean;
}

/** `tijori request <METHOD> <path>`: a signed merchant API call, like curl with the signing done. */
export function registerRequestCommand(program: Command): void {
  const command = exitTwoOnUsageErrors(program.command('request'))
    .description('Sign and send a merchant API request, like curl: prints the reply body (exit 0 on 2xx, 1 when the gateway refuses, 3 when it cannot be reached)')
    .argument('<method>', 'POST, GET, …')
    .argument('<path>', 'path and query, e.g. /api/v3/pg/order/create')
    .option('-d, --data <data>', 'the body: JSON text, @file (its bytes exactly) or @- (standard input)')
    .option('--scheme <scheme>', 'v2 (METHOD + PATH + BODY + TIMESTAMP, the default) or v1 (BODY + TIMESTAMP, KwikPaisa)')
    .option('--print-curl', 'print an equivalent curl command with the signed headers instead of sending (the signature is single-use: run it once)')
    .option('-i, --include', 'print the status line and reply headers before the body');
  withMerchantOptions(command).action((method: string, path: string, options: RequestOptions) => runRequest(method, path, options, processMerchantIo()));
}

export async function runRequest(method: string, path: string, options: RequestOptions, io: MerchantIo): Promise<void> {
  if (!/^[A-Za-z]+$/.test(method)) return usageError(`<method>: an HTTP method such as POST or GET, not "${method}".`, io);
  if (!path.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(path)) {
    return usageError(`<path>: the path and query, starting with "/" and without spaces (percent-encode them), e.g. /api/v3/pg/order/status; the gateway's address goes in --url or TIJORI_URL.`, io);
  }
  const resolved = resolveMerchantCredentials(options, io.env, io.cwd);
  if (!resolved.ok) return usageError(resolved.message, io);
  const { credentials } = resolved;
  const isPrivateKey = credentials.signer.kind === 'private_key';
  const scheme = parseScheme(options.scheme, 'v2');
  if (!scheme.ok) return usageError(scheme.message, io);
  if (isPrivateKey && scheme.scheme === 'v1') return usageError('--scheme v1 cannot be signed with a private key: public-key signatures use v2 only.', io);
  const data = await readData(options.data, io.cwd, io.stdin);
  if (!data.ok) return usageError(data.message, io);
  const upper = method.toUpperCase();
  if ((upper === 'GET' || upper === 'HEAD') && data.bytes.length > 0) return usageError(`${upper} requests carry no body here; drop --data or use POST (every merchant API route is a POST).`, io);

  const safe = maskSecrets(io, [credentials.signer.kind === 'secret' ? credentials.signer.secretKey.reveal() : undefined]);
  printWarnings(safe, credentials.warnings);
  const input = { method: upper, path, body: data.bytes, scheme: scheme.scheme };

  if (options.printCurl) {
    const prepared = prepareSignedRequest(credentials, input);
    const curl = curlCommand(prepared, data.from === 'file' ? data.file : undefined);
    if (!curl.ok) return usageError(curl.message, io);
    safe.stdout(options.json ? json({ curl: curl.command, method: prepared.method, url: prepared.url, headers: prepared.headers }) : curl.command);
    return io.setExitCode(EXIT.ok);
  }

  const reply = await sendSigned(credentials, input);
  if (!reply.ok) {
    safe.stderr(`tijori: ${reply.message}\n`);
    return io.setExitCode(EXIT.unreachable);
  }
  const meaning = readTijoriReply(reply);
  if (meaning.kind === 'not_tijori') {
    safe.stderr(`tijori: ${meaning.message}\n`);
    return io.setExitCode(EXIT.unreachable);
  }
  printReply(reply, meaning.kind === 'success' ? meaning.json : meaning.failure, options, safe);
  if (meaning.kind === 'refused') {
    safe.stderr(`${io.err.red(describeFailure(meaning.failure, credentials))}\n`);
    return io.setExitCode(EXIT.refused);
  }
  io.setExitCode(EXIT.ok);
}

function printReply(reply: Extract<SignedReply, { ok: true }>, parsed: unknown, options: RequestOptions, io: MerchantIo): void {
  const statusLine = `HTTP ${reply.status} ${reply.statusText}`.trimEnd();
  if (options.json) {
    io.stdout(json({ status: reply.status, headers: reply.headers, body: parsed === undefined ? reply.bodyText : parsed }));
    return;
  }
  const paint = reply.status < 300 ? io.out.green : io.out.red;
  if (options.include) {
    io.stdout(`${paint(statusLine)}\n${Object.entries(reply.headers).map(([name, value]) => `${io.out.dim(`${name}:`)} ${value}\n`).join('')}\n`);
  } else if (io.stderrIsTTY) {
    // On a terminal the status is worth a glance; piped, stdout is the body alone, as curl's is.
    io.stderr(`${(reply.status < 300 ? io.err.green : io.err.red)(statusLine)}\n`);
  }
  // Pretty for a person, the bytes as received for a program (jq, a file).
  if (io.stdoutIsTTY && parsed !== undefined) io.stdout(json(parsed));
  else io.stdout(reply.bodyText);
}

/** `error_code: message (request_id)`, the fields at fault, and what to check when the CLI itself signed. */
function describeFailure(failure: AdminFailureBody, credentials: MerchantCredentials): string {
  const lines = [`${failure.error_code}: ${failure.message} (${failure.request_id})`];
  const problems = failure.details?.errors;
  if (Array.isArray(problems)) for (const p of problems as { field?: unknown; message?: unknown }[]) lines.push(`  ${String(p.field)}: ${String(p.message)}`);
  const hint = HINTS[failure.error_code]?.(credentials, failure.details);
  if (hint) lines.push(hint);
  return lines.join('\n');
}

const HINTS: Record<string, (c: MerchantCredentials, details: Record<string, unknown> | undefined) => string> = {
  invalid_signature: (c) => `tijori signs the bytes it sends, so the ${c.signer.kind === 'secret' ? 'secret key' : 'private key'} is most likely not ${c.apiKey}'s (credentials: ${c.source}).`,
  unknown_api_key: (c) => `credentials: ${c.source}. A sandbox key (pk_test_) works only on the gateway that issued it.`,
  timestamp_outside_window: (_c, details) => `this machine's clock differs from the gateway's (server_time ${String(details?.server_time)}, here ${Math.floor(Date.now() / 1000)}): sync it with NTP.`,
  replayed_request: () => 'an identical request was signed in the same second, and a signature is accepted once: wait a second, or change the body.',
};

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
