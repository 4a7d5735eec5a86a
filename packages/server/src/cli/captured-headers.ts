/**
 * Headers as integrators have them at hand when debugging: `-H 'Name: value'`
 * lines, or a file holding a captured request (a request line, header lines,
 * a blank line, the body: what a proxy log or `nc -l` shows), curl -D
 * output, or a JSON object (a logged `req.headers`).
 */

export interface CapturedRequest {
  /** Lower-case names; a header given several times keeps every value. */
  headers: Record<string, string[]>;
  /** From a request line "POST /api/v3/pg/order/create HTTP/1.1". */
  method?: string;
  path?: string;
  /** The bytes after the blank line of a captured request, exactly. */
  body?: Buffer;
}

export type CaptureResult = { ok: true; captured: CapturedRequest } | { ok: false; message: string };

/** `-H` values, each "Name: value". */
export function parseHeaderOptions(lines: readonly string[]): CaptureResult {
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const added = addHeader(headers, line);
    if (added) return { ok: false, message: `-H ${JSON.stringify(line)}: ${added}` };
  }
  return { ok: true, captured: { headers } };
}

export function parseHeadersFile(bytes: Buffer, file: string): CaptureResult {
  const text = bytes.toString('utf8');
  if (text.trimStart().startsWith('{')) return fromJson(text, file);

  const blank = /\r?\n\r?\n/.exec(text);
  // The body is cut from the bytes, not the decoded text, so it stays exactly as captured.
  const headEnd = blank ? Buffer.byteLength(text.slice(0, blank.index), 'utf8') : bytes.length;
  const bodyStart = blank ? Buffer.byteLength(text.slice(0, blank.index + blank[0].length), 'utf8') : bytes.length;
  const captured: CapturedRequest = { headers: {} };
  const lines = bytes.subarray(0, headEnd).toString('utf8').split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const request = i === 0 ? /^([A-Za-z]+) (\/\S*) HTTP\/[\d.]+$/.exec(line) : null;
    if (request) {
      captured.method = request[1]?.toUpperCase();
      captured.path = request[2];
      continue;
    }
    // A status line (curl -D) and empty lines carry nothing to verify.
    if ((i === 0 && /^HTTP\/[\d.]+ \d{3}/.test(line)) || line.trim() === '') continue;
    const added = addHeader(captured.headers, line);
    if (added) return { ok: false, message: `${file} line ${i + 1}: ${added}` };
  }
  if (bodyStart < bytes.length) captured.body = bytes.subarray(bodyStart);
  return { ok: true, captured };
}

/** Merges `more` into `into`: the values of a header given in both are kept, `more`'s last. */
export function mergeCaptured(into: CapturedRequest, more: CapturedRequest): CapturedRequest {
  const headers = { ...into.headers };
  for (const [name, values] of Object.entries(more.headers)) headers[name] = [...(headers[name] ?? []), ...values];
  return { ...into, ...more, headers };
}

/** The last value of a header (an explicit -H after a file wins). */
export function lastValue(captured: CapturedRequest, name: string): string | undefined {
  return captured.headers[name]?.at(-1);
}

function addHeader(headers: Record<string, string[]>, line: string): string | undefined {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
  if (!match?.[1] || match[2] === undefined) return 'expected "Name: value".';
  const name = match[1].toLowerCase();
  (headers[name] ??= []).push(match[2]);
  return undefined;
}

function fromJson(text: string, file: string): CaptureResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `${file} starts with "{" but is not JSON.` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: `${file}: expected a JSON object of headers.` };
  const headers: Record<string, string[]> = {};
  for (const [name, v] of Object.entries(value)) {
    const values = Array.isArray(v) ? v : [v];
    if (!values.every((x) => typeof x === 'string')) return { ok: false, message: `${file}: header ${name} is not a string or a list of strings.` };
    (headers[name.toLowerCase()] ??= []).push(...(values as string[]));
  }
  return { ok: true, captured: { headers } };
}
