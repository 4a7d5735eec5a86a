/** Request bodies as bytes, read as text or JSON without changing them: shared by the CLI and the signature debugger. */

/** The bytes as text, or undefined when they are not valid UTF-8 (a text view would change them). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The bytes parsed as JSON, or undefined when they are not UTF-8 JSON (whitespace alone included). */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  const text = utf8Text(bytes);
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
