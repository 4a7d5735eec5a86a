import { utf8Text } from './data-option.js';
import type { PreparedRequest } from './signed-request.js';

/**
 * The curl command that sends exactly `request`: the same headers, the
 * signature included (single-use, so harmless to show), and the same body
 * bytes through --data-binary (curl's -d would strip newlines and change what
 * was signed). The secret never appears: it is in no header.
 *
 * A body that is not text (not UTF-8, or with a NUL) cannot be pasted into
 * a shell, so it is referenced as `@bodyFile`; without a file it is refused.
 */
export function curlCommand(request: PreparedRequest, bodyFile?: string): { ok: true; command: string } | { ok: false; message: string } {
  const lines = [`curl -sS -X ${request.method} ${shellQuote(request.url)}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  if (request.body.length > 0) {
    const text = utf8Text(request.body);
    if (text !== undefined && !text.includes('\0')) lines.push(`--data-binary ${shellQuote(text)}`);
    else if (bodyFile !== undefined) lines.push(`--data-binary ${shellQuote(`@${bodyFile}`)}`);
    else return { ok: false, message: '--print-curl: the body is not text, so it cannot be written into a command; put it in a file and use --data @file.' };
  }
  return { ok: true, command: lines.join(' \\\n  ') + '\n' };
}

/** POSIX single quotes: everything literal, a quote written as '\''. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
