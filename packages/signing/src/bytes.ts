/**
 * Text and byte encodings without Buffer: the modules behind
 * `@tijori/signing/messages` run where only the web platform exists (Deno,
 * Bun, edge workers), so they use TextEncoder, atob and btoa.
 */

/** One piece of a signed message: a string (signed as UTF-8) or bytes, fed in order. */
export type MessagePart = string | Uint8Array;

const encoder = new TextEncoder();

export function isBytesOrString(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The parts joined into one array (strings as UTF-8): what a signature primitive that takes the message whole is given. */
export function messageBytes(parts: readonly MessagePart[]): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Standard base64, padded. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decodes base64 the caller has already checked against the standard alphabet (atob would throw on anything else). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Base64 of exactly one spelling: standard alphabet, padded, zero padding bits (the re-encoding gives the text back). */
export function fromCanonicalBase64(text: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  const bytes = fromBase64(text);
  return toBase64(bytes) === text ? bytes : undefined;
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Decodes hex the caller has already checked (an even number of 0-9a-fA-F). */
export function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Equality of two byte arrays that are public (a digest of a body both sides
 * hold): not constant-time. Secrets are compared by the crypto library.
 */
export function publicBytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
