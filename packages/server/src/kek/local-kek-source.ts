import { readFile } from 'node:fs/promises';
import { KEK_BYTES } from './local-key-provider.js';

const BASE64_KEK = /^[A-Za-z0-9+/]{43}=$/; // exactly 32 bytes in standard padded base64

/**
 * Reads a local KEK written as base64 (`openssl rand -base64 32`), from a
 * config value or an environment variable. Strict on purpose: Buffer's base64
 * decoder skips characters it does not know, so a pasted key with a stray
 * character would silently become another key. `where` names the setting in
 * the error; the value itself is never echoed.
 */
export function parseKekBase64(text: string, where: string): Buffer {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (!BASE64_KEK.test(trimmed)) {
    throw new TypeError(
      `${where} must be a ${KEK_BYTES}-byte key in standard base64 (44 characters ending in "="); ` +
        'generate one with `openssl rand -base64 32`',
    );
  }
  return Buffer.from(trimmed, 'base64');
}

/** Reads a KEK file holding one base64 key (surrounding whitespace ignored). */
export async function readKekFile(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`cannot read KEK file ${path} (${code}); check the path and that the gateway user may read it`);
  }
  return parseKekBase64(text, `KEK file ${path}`);
}
