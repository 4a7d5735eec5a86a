/**
 * What a request signature covers, for every scheme: the one definition that
 * signing, verification, the sandbox's signed-strings view and the SDK (which
 * signs with WebCrypto where node:crypto is absent) all build on.
 *
 * v1 (KwikPaisa v3): BODY + TIMESTAMP
 * v2 (method-bound): METHOD + PATH + BODY + TIMESTAMP
 *
 * No node:crypto and no Buffer here: it is part of `@tijori/signing/messages`.
 */
import { isBytesOrString, type MessagePart } from './bytes.js';

export type SignatureScheme = 'v1' | 'v2';

export interface SignedMessageInput {
  /** UNIX seconds; a number is String()-ed, a string is signed exactly as given. */
  timestamp: string | number;
  /** The body bytes exactly as sent; default '' (empty body). */
  body?: string | Uint8Array;
  /** v2 only, required there: upper-cased before signing. */
  method?: string;
  /** v2 only, required there: the path including the query string, exactly as sent. */
  path?: string;
}

/**
 * The message a request signature is computed over, as parts in order
 * (strings are signed as UTF-8; `messageBytes` joins them). Throws TypeError
 * for programmer errors, naming `caller`.
 */
export function signedMessage(scheme: SignatureScheme, input: SignedMessageInput, caller = 'signRequest'): MessagePart[] {
  if (scheme !== 'v1' && scheme !== 'v2') throw new TypeError(`${caller}: scheme must be 'v1' or 'v2'`);
  const timestamp = requestTimestamp(input.timestamp, caller);
  const body = input.body ?? '';
  if (!isBytesOrString(body)) {
    throw new TypeError(`${caller}: body must be a string or Uint8Array (the bytes exactly as sent)`);
  }
  if (scheme === 'v1') return v1Parts(body, timestamp);
  const { method, path } = input;
  if (typeof method !== 'string' || method === '') {
    throw new TypeError(`${caller}: scheme 'v2' needs method (e.g. 'POST')`);
  }
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`${caller}: scheme 'v2' needs path, including the query string exactly as sent`);
  }
  return v2Parts(method, path, body, timestamp);
}

/** The X-TIMESTAMP string to sign: a string as given, a number as whole seconds. */
export function requestTimestamp(timestamp: unknown, caller = 'signRequest'): string {
  if (typeof timestamp === 'string') return timestamp;
  if (typeof timestamp === 'number') {
    // A fraction here is nearly always Date.now() / 1000 without Math.floor.
    if (!Number.isSafeInteger(timestamp)) {
      throw new TypeError(`${caller}: a numeric timestamp must be whole UNIX seconds, e.g. Math.floor(Date.now() / 1000)`);
    }
    return String(timestamp);
  }
  throw new TypeError(`${caller}: timestamp must be UNIX seconds, as a string or a number`);
}

/** What v1 signs, in order: BODY + TIMESTAMP. */
export function v1Parts(body: MessagePart, timestamp: string): MessagePart[] {
  return [body, timestamp];
}

/** What v2 signs, in order: METHOD + PATH + BODY + TIMESTAMP. */
export function v2Parts(method: string, path: string, body: MessagePart, timestamp: string): MessagePart[] {
  return [method.toUpperCase(), path, body, timestamp];
}
