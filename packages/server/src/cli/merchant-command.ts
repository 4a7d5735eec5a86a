/**
 * What the merchant-developer commands (request, sign, verify; later listen
 * and trigger) share: their options, their view of the process (so tests and
 * future commands can drive them), and the guard that keeps secrets out of
 * everything they print.
 */
import type { SignatureScheme } from '@tijori/signing';
import type { Command } from 'commander';
import type { CliEnv } from './connection.js';
import type { MerchantEnv } from './merchant-credentials.js';
import { type CliIo, processIo } from './run-admin-command.js';
import { type Style, styleFor } from './terminal.js';

export interface MerchantIo extends CliIo {
  env: CliEnv & MerchantEnv & { NO_COLOR?: string | undefined; TIJORI_WEBHOOK_SECRET?: string | undefined };
  /** Colour and layout for people only when a person reads the stream. */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  out: Style;
  err: Style;
  stdin(): Promise<Buffer>;
}

export function processMerchantIo(): MerchantIo {
  return {
    ...processIo,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    out: styleFor(process.stdout, process.env),
    err: styleFor(process.stderr, process.env),
    async stdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

/** --secret-key and --private-key: what signs. */
export function withSignerOptions(command: Command): Command {
  return command
    .option('--secret-key <key>', 'secret key (default: $TIJORI_SECRET_KEY, else ./.tijori/sandbox-credentials.json); prefer the variable: arguments land in shell history and ps')
    .option('--private-key <pem-file>', 'sign with the private key of a public-key API key instead (scheme v2 only)');
}

/** Everything a command that sends requests as the merchant takes. */
export function withMerchantOptions(command: Command): Command {
  return withSignerOptions(command)
    .option('--api-key <key>', 'API key, pk_test_… or pk_live_… (default: $TIJORI_API_KEY, else ./.tijori/sandbox-credentials.json)')
    .option('--url <url>', 'gateway base URL (default: $TIJORI_URL, else the sandbox file\'s base_url, else http://127.0.0.1:8080)')
    .option('--json', 'print the result as JSON');
}

/** --method and --path: what v2 signs besides the body and timestamp. */
export function withV2Options(command: Command): Command {
  return command
    .option('--method <method>', 'v2: the HTTP method (default: POST)')
    .option('--path <path>', 'v2: the path with its query string, exactly as sent');
}

export function parseScheme(value: string | undefined, fallback: SignatureScheme): { ok: true; scheme: SignatureScheme } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, scheme: fallback };
  const scheme = value.toLowerCase().replace(/^(\d)$/, 'v$1');
  if (scheme === 'v1' || scheme === 'v2') return { ok: true, scheme };
  return { ok: false, message: `--scheme: v1 (BODY + TIMESTAMP, KwikPaisa) or v2 (METHOD + PATH + BODY + TIMESTAMP), not "${value}".` };
}

/**
 * The io with every write passed through a mask for `secrets` (≥ 8
 * characters): a last guard in case a reply or a message ever echoes one.
 */
export function maskSecrets(io: MerchantIo, secrets: ReadonlyArray<string | undefined>): MerchantIo {
  const known = secrets.filter((s): s is string => s !== undefined && s.length >= 8);
  const mask = (text: string) => known.reduce((t, s) => t.replaceAll(s, '[secret]'), text);
  return { ...io, stdout: (text) => io.stdout(mask(text)), stderr: (text) => io.stderr(mask(text)) };
}

export function printWarnings(io: MerchantIo, warnings: readonly string[]): void {
  for (const warning of warnings) io.stderr(`${io.err.yellow('tijori: warning:')} ${warning}\n`);
}
