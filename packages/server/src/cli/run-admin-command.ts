import type { Command } from 'commander';
import { AdminClient, type AdminFailureBody, type AdminResult } from './admin-client.js';
import { type CliEnv, resolveConnection } from './connection.js';

/** The CLI's exit codes, documented in docs/cli.md. Scripts branch on them. */
export const EXIT = {
  ok: 0,
  /** The gateway answered and refused (error_code on stderr). */
  refused: 1,
  /** The command line was wrong; nothing was sent. */
  usage: 2,
  /** No answer from a Tijori gateway: nothing listening, a timeout, or something else answered. */
  unreachable: 3,
} as const;

export interface CommonOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: CliEnv;
  cwd: string;
  setExitCode(code: number): void;
  /** True when a person watches stderr: progress goes there then, and only then. */
  stderrIsTTY?: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  stderrIsTTY: process.stderr.isTTY === true,
};

/** --url, --token and --json on a command that calls the admin API. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'gateway base URL (default: $TIJORI_URL, else http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default: $TIJORI_ADMIN_TOKEN, else ./.tijori/admin-token); prefer the variable, since arguments are visible in ps')
    .option('--json', "print the admin API's reply object as JSON");
}

/**
 * Commander exits 1 on a usage error; ours is 2, so that 1 always means
 * "the gateway refused". Set on a command group before adding its
 * subcommands, which inherit it. Help asked for still exits 0.
 */
export function exitTwoOnUsageErrors(command: Command): Command {
  return command.exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
}

/** A command-line value the action itself found wrong (a duration, a scheme): nothing is sent. */
export function usageError(message: string, io: CliIo = processIo): void {
  io.stderr(`tijori: ${message}\n`);
  io.setExitCode(EXIT.usage);
}

/**
 * Resolves the connection, makes one admin call, prints the reply: with
 * --json exactly the API's reply object, otherwise `human(body)`. Every
 * write passes through a filter that masks the admin token, a last guard
 * in case a server or an error message ever echoes it.
 */
export async function runAdminCommand<T>(
  options: CommonOptions,
  call: (client: AdminClient) => Promise<AdminResult<T>>,
  human: (body: T) => string,
  io: CliIo = processIo,
): Promise<void> {
  const resolved = resolveConnection(options, io.env, io.cwd);
  if (!resolved.ok) return usageError(resolved.message, io);
  const { connection } = resolved;
  const token = connection.token.reveal();
  const mask = (text: string) => (token.length >= 8 ? text.replaceAll(token, '[admin token]') : text);
  const out = (text: string) => io.stdout(mask(text));
  const err = (text: string) => io.stderr(mask(text));

  for (const warning of connection.warnings) err(`tijori: warning: ${warning}\n`);
  const result = await call(new AdminClient({ baseUrl: connection.baseUrl, token: connection.token }));

  if (result.ok) {
    out(options.json ? `${JSON.stringify(result.body, null, 2)}\n` : human(result.body));
    return io.setExitCode(EXIT.ok);
  }
  if (result.kind === 'unreachable') {
    err(`tijori: ${result.message}\n`);
    return io.setExitCode(EXIT.unreachable);
  }
  if (options.json) out(`${JSON.stringify(result.body, null, 2)}\n`);
  err(describeRefusal(result.body));
  io.setExitCode(EXIT.refused);
}

/** `error_code: message (request_id)`, then the fields at fault and a hint where one helps. */
export function describeRefusal(body: AdminFailureBody): string {
  const lines = [`${body.error_code}: ${body.message} (${body.request_id})`];
  const problems = body.details?.errors;
  if (Array.isArray(problems)) {
    for (const p of problems as { field?: unknown; message?: unknown }[]) lines.push(`  ${String(p.field)}: ${String(p.message)}`);
  }
  const hint = HINTS[body.error_code];
  if (hint) lines.push(hint);
  return lines.join('\n') + '\n';
}

const HINTS: Record<string, string> = {
  admin_unauthorized: 'Check --token or TIJORI_ADMIN_TOKEN against the gateway\'s TIJORI_ADMIN_TOKEN (or <data dir>/admin-token on the embedded default).',
  route_not_found: 'Is the admin API on? A gateway on PostgreSQL without TIJORI_ADMIN_TOKEN does not serve /admin/v1.',
};
