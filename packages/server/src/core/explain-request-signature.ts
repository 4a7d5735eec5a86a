/**
 * "Why is my signature invalid?", answered: checks a request signature and,
 * when it does not match, finds the one input that most likely differs by
 * signing the request again with each usual mistake applied (the other
 * scheme, a newline, the body written by another JSON writer, milliseconds,
 * the query string, the secret read with a newline, ...). The first
 * variant whose signature equals the one given is the explanation.
 *
 * Signing is @tijori/signing's (verifyRequest for the request as given,
 * signRequest for each variant); nothing here computes an HMAC itself.
 * A debugging aid run on the integrator's own data: by the CLI (`tijori
 * verify`), with the secret they hold, and by the dashboard's signature
 * debugger, which looks the merchant's own key's secret up itself and never
 * returns it. The verdict carries signed strings, never an HMAC.
 */
import { canonicalJson, checkTimestamp, signRequest, verifyRequest, type SignatureScheme } from '@tijori/signing';
import { messageBytes, signedMessage } from '@tijori/signing/messages';
import { parseJsonBytes, utf8Text } from '../lib/json-bytes.js';
import { JSON_STYLES, writeJson } from '../lib/json-styles.js';

export interface RequestSignatureCase {
  /** X-SIGNATURE as received. */
  signature: string;
  /** X-TIMESTAMP as received. */
  timestamp: string;
  /** The scheme the request declared (X-SIGNATURE-VERSION absent or 1: v1; 2: v2); undefined tries both. */
  scheme?: SignatureScheme;
  method: string;
  /** Path with query as received; without it v2 cannot be checked. */
  path?: string;
  /** The body bytes as received. */
  body: Uint8Array;
  /** The secret key the request should have been signed with. */
  secret: string;
  /** X-API-KEY, to spot a test/live mix-up. */
  apiKey?: string;
  /** Other secrets the integrator has (e.g. the sandbox file's), tried last. */
  otherSecrets?: ReadonlyArray<{ secret: string; from: string }>;
  /** The gateway's base URL, to recognise a signed full URL. */
  baseUrl?: string;
  nowSeconds: number;
}

export const REQUEST_DIAGNOSES = [
  'signature_encoding',
  'other_scheme',
  'message_newline',
  'body_trailing_newline',
  'body_missing_newline',
  'body_line_endings',
  'body_canonicalised',
  'body_reserialised',
  'body_empty',
  'timestamp_milliseconds',
  'timestamp_milliseconds_header',
  'timestamp_drift',
  'path_query',
  'path_slash',
  'path_encoding',
  'path_full_url',
  'method',
  'secret_newline',
  'secret_other',
  'secret_mode',
  'malformed_signature',
  'malformed_timestamp',
  'no_match',
] as const;
export type RequestDiagnosis = (typeof REQUEST_DIAGNOSES)[number];

/** A signed string: what one scheme covers for some inputs (METHOD + PATH + BODY + TIMESTAMP for v2). */
export interface SignedString {
  scheme: SignatureScheme;
  message: Uint8Array;
}

export type RequestSignatureVerdict =
  | { ok: true; scheme: SignatureScheme; form: 'raw' | 'canonical'; covers: SignedString; notes: string[] }
  | {
      ok: false;
      code: RequestDiagnosis;
      message: string;
      notes: string[];
      /** What the signature was found to cover, when a variant matched. */
      covers?: SignedString;
      /** What the request, as given, signs under the scheme it declared (or each scheme tried). */
      expected: SignedString[];
    };

interface Inputs {
  scheme: SignatureScheme;
  method: string;
  path: string | undefined;
  body: Uint8Array;
  timestamp: string;
  secret: string;
}

interface Variant {
  code: RequestDiagnosis;
  change: Partial<Inputs>;
  message: string;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}=?$/;
const MILLIS = /^[0-9]{13}$/;
const SCHEMES: readonly SignatureScheme[] = ['v1', 'v2'];
const SCHEME_SPELLING = {
  v1: 'v1 (BODY + TIMESTAMP; no X-SIGNATURE-VERSION header, or 1)',
  v2: 'v2 (METHOD + PATH + BODY + TIMESTAMP; X-SIGNATURE-VERSION: 2)',
} as const;

export function explainRequestSignature(c: RequestSignatureCase): RequestSignatureVerdict {
  const notes: string[] = [];
  const declared = c.scheme === undefined ? SCHEMES.filter((s) => s === 'v1' || c.path !== undefined) : [c.scheme];
  const base = (scheme: SignatureScheme): Inputs => ({ scheme, method: c.method.toUpperCase(), path: c.path, body: c.body, timestamp: c.timestamp, secret: c.secret });
  const expected = declared.map((s) => covered(base(s)));
  const fail = (code: RequestDiagnosis, message: string, covers?: SignedString): RequestSignatureVerdict => ({ ok: false, code, message, notes, covers, expected });

  const signature = normaliseSignature(c.signature);
  if (signature.hex === undefined) return fail('malformed_signature', malformedSignatureMessage(c));
  if (signature.note) notes.push(signature.note);
  const sig = signature.hex;
  const matches = (inputs: Inputs) => inputs.path !== undefined || inputs.scheme === 'v1' ? sign(inputs) === sig : false;

  if (!/^[0-9]+$/.test(c.timestamp)) return fail('malformed_timestamp', timestampMessage(c));
  if (MILLIS.test(c.timestamp)) {
    const seconds = c.timestamp.slice(0, -3);
    for (const scheme of SCHEMES) {
      if (matches(base(scheme))) {
        return fail('timestamp_milliseconds', `The signature is right for X-TIMESTAMP ${c.timestamp}, but that is milliseconds: the gateway refuses a 13-digit timestamp (timestamp_in_milliseconds) before it looks at the signature. Send and sign seconds (${seconds}): Math.floor(Date.now() / 1000), time() in PHP, int(time.time()) in Python.`, covered(base(scheme)));
      }
      const inSeconds = { ...base(scheme), timestamp: seconds };
      if (matches(inSeconds)) {
        return fail('timestamp_milliseconds_header', `The signature covers the timestamp in seconds (${seconds}), but X-TIMESTAMP sends milliseconds (${c.timestamp}), which the gateway refuses (timestamp_in_milliseconds). Send the seconds value you signed.`, covered(inSeconds));
      }
    }
    return fail('timestamp_milliseconds', `${timestampMessage(c)} (The signature matches neither ${c.timestamp} nor ${seconds} either; fix the timestamp first.)`);
  }

  for (const scheme of declared) {
    const result = verifyRequest({
      secrets: [c.secret],
      signature: sig,
      timestamp: c.timestamp,
      version: scheme === 'v2' ? '2' : '1',
      rawBody: c.body,
      parsedBody: parseJsonBytes(c.body),
      method: c.method,
      path: c.path ?? '',
      // The window is reported as a note below: a captured request is still worth checking later.
      nowSeconds: Number(c.timestamp),
    });
    if (!result.ok) continue;
    if (signature.code) return fail(signature.code, `The signature is right, but ${signature.problem} The gateway refuses it as malformed_signature: send ${sig}.`, covered(base(scheme)));
    const pairing = modeMismatch(c);
    if (pairing) return fail('secret_mode', `The signature is right for this secret key, but ${pairing} The gateway checks the signature with the secret of ${c.apiKey}, so there it fails (invalid_signature).`, covered(base(scheme)));
    const window = checkTimestamp(c.timestamp, c.nowSeconds);
    if (!window.ok) notes.push(`the gateway would refuse this timestamp now: ${window.message}`);
    if (c.scheme === undefined && scheme === 'v2') notes.push('it is a v2 signature: the request must carry X-SIGNATURE-VERSION: 2.');
    const form = result.form;
    if (form === 'canonical') notes.push('the signature covers the canonical JSON of the body, not the bytes sent: v1 accepts that form, v2 would not.');
    const inputs = form === 'canonical' ? { ...base(scheme), body: Buffer.from(canonicalJson(parseJsonBytes(c.body)), 'utf8') } : base(scheme);
    return { ok: true, scheme, form, covers: covered(inputs), notes };
  }

  for (const { variant, inputs } of variants(c, declared, base)) {
    if (!matches(inputs)) continue;
    let message = variant.message;
    if (c.scheme !== undefined && inputs.scheme !== c.scheme) {
      message = variant.code === 'other_scheme' ? message : `Two things differ. The signature is scheme ${SCHEME_SPELLING[inputs.scheme]}, while the request declares ${c.scheme}. And: ${message}`;
    } else if (c.scheme === undefined && inputs.scheme === 'v2') {
      notes.push('the signature is v2: the request must also carry X-SIGNATURE-VERSION: 2.');
    }
    if (signature.problem) notes.push(`besides: ${signature.problem}`);
    return fail(variant.code, message, covered(inputs));
  }
  if (c.scheme === undefined && c.path === undefined) notes.push('only v1 was checked: give --path (and --method) to check v2 too.');
  const none = noMatch(c);
  return fail(none.code, none.message);
}

/** Every variant worth trying, most likely first: each mistake under the declared scheme, then under the other one. */
function* variants(c: RequestSignatureCase, declared: readonly SignatureScheme[], base: (s: SignatureScheme) => Inputs): Generator<{ variant: Variant; inputs: Inputs }> {
  if (c.scheme !== undefined) {
    const other: SignatureScheme = c.scheme === 'v1' ? 'v2' : 'v1';
    const message =
      `The signature is a ${SCHEME_SPELLING[other]} signature, but the request declares ${SCHEME_SPELLING[c.scheme]}. ` +
      (other === 'v2' ? 'Send X-SIGNATURE-VERSION: 2 with it, or sign BODY + TIMESTAMP.' : 'Leave X-SIGNATURE-VERSION out (or send 1), or sign METHOD + PATH + BODY + TIMESTAMP.');
    yield { variant: { code: 'other_scheme', change: {}, message }, inputs: base(other) };
  }
  const schemes: readonly SignatureScheme[] = c.scheme === undefined ? declared : [c.scheme, c.scheme === 'v1' ? 'v2' : 'v1'];
  for (const generate of [newlineVariants, bodyVariants, timestampVariants, pathVariants, methodVariants, secretVariants]) {
    for (const scheme of schemes) {
      for (const variant of generate(c, scheme)) yield { variant, inputs: { ...base(scheme), ...variant.change } };
    }
  }
}

function* newlineVariants(c: RequestSignatureCase): Generator<Variant> {
  const body = Buffer.from(c.body);
  const stripped = body.toString('latin1').replace(/[\r\n]+$/, '');
  if (stripped.length < body.length) {
    yield {
      code: 'body_trailing_newline',
      change: { body: body.subarray(0, stripped.length) },
      message:
        'The signature matches the body without its trailing newline: the body sent ends with a newline the signer left out (or trimmed). ' +
        'Sign exactly the bytes you send. If --data @file is not byte for byte what was sent, note that curl -d @file strips newlines and --data-binary @file keeps them.',
    };
  }
  yield {
    code: 'body_missing_newline',
    change: { body: Buffer.concat([body, Buffer.from('\n')]) },
    message:
      'The signature matches the body with a newline added at the end, which was not sent: the signer read a file or a command output ending in a newline ' +
      '(an editor saves one; echo prints one), while the request body has none (curl -d @file strips newlines, --data-binary @file keeps them). Sign exactly the bytes you send.',
  };
  yield {
    code: 'message_newline',
    change: { timestamp: `${c.timestamp}\n` },
    message:
      'The signature covers the signed string followed by a newline: it was piped through echo, which adds one. ' +
      `Use printf, which does not: printf '%s%s' "$BODY" "$TS" | openssl dgst -sha256 -hmac "$SECRET" (v1; for v2 printf '%s%s%s%s' "$METHOD" "$PATH" "$BODY" "$TS").`,
  };
  const text = body.toString('latin1');
  if (/\r\n/.test(text)) {
    yield { code: 'body_line_endings', change: { body: Buffer.from(text.replaceAll('\r\n', '\n'), 'latin1') }, message: 'The signature matches the body with Unix line endings (\\n), but the body sent has Windows ones (\\r\\n): something converted the line endings between signing and sending. Sign the bytes you send.' };
  } else if (text.includes('\n')) {
    yield { code: 'body_line_endings', change: { body: Buffer.from(text.replaceAll('\n', '\r\n'), 'latin1') }, message: 'The signature matches the body with Windows line endings (\\r\\n), but the body sent has Unix ones (\\n): the signer read the body from a file with CRLF line endings. Sign the bytes you send.' };
  }
}

function* bodyVariants(c: RequestSignatureCase, scheme: SignatureScheme): Generator<Variant> {
  const parsed = parseJsonBytes(c.body);
  if (parsed !== undefined) {
    const sent = utf8Text(c.body);
    const canonical = canonicalJson(parsed);
    // Under v1 the canonical form is accepted as it is, so it explains nothing there.
    if (scheme === 'v2' && canonical !== sent) {
      yield {
        code: 'body_canonicalised',
        change: { body: Buffer.from(canonical, 'utf8') },
        message:
          'The signature matches if the body is canonicalised (keys sorted, no whitespace), not the bytes sent: your client signed a canonical copy, or re-serialised the JSON after signing. ' +
          'v1 accepts the canonical form, but v2 signs the raw bytes only: sign exactly the string you send.',
      };
    }
    for (const style of Object.values(JSON_STYLES)) {
      const written = writeJson(parsed, style);
      if (written === sent || written === canonical) continue;
      yield {
        code: 'body_reserialised',
        change: { body: Buffer.from(written, 'utf8') },
        message:
          `The signature matches the body written as ${style.name}, but the bytes sent are written differently: the JSON was serialised once to sign and again to send ` +
          '(an HTTP library\'s json= option, a pretty-printer, a framework). Serialise once, then sign and send that same string.',
      };
    }
  }
  if (c.body.length > 0) {
    yield { code: 'body_empty', change: { body: new Uint8Array(0) }, message: 'The signature covers an empty body, but the request has one: the signer left the body out (both schemes sign the body bytes; only a request without a body signs the empty string).' };
  }
}

function* timestampVariants(c: RequestSignatureCase): Generator<Variant> {
  const seconds = Number(c.timestamp);
  for (let ms = 0; ms < 1000; ms++) {
    const millis = String(seconds * 1000 + ms);
    yield {
      code: 'timestamp_milliseconds',
      change: { timestamp: millis },
      message:
        `The signature covers the timestamp in milliseconds (${millis}), but X-TIMESTAMP sends seconds (${c.timestamp}): the signer used Date.now(), System.currentTimeMillis() or time.time() * 1000. ` +
        'Read the clock once, in whole seconds, and use that same string in the header and in the signed string.',
    };
  }
  for (const drift of [-1, 1, -2, 2]) {
    const other = String(seconds + drift);
    yield {
      code: 'timestamp_drift',
      change: { timestamp: other },
      message: `The signature covers the timestamp ${other}, but X-TIMESTAMP sends ${c.timestamp}: the clock was read twice, once to sign and once for the header, and a second passed between. Read it once and use that string for both.`,
    };
  }
}

function* pathVariants(c: RequestSignatureCase, scheme: SignatureScheme): Generator<Variant> {
  if (scheme !== 'v2' || c.path === undefined) return;
  const path = c.path;
  const query = path.indexOf('?');
  if (query >= 0) {
    yield { code: 'path_query', change: { path: path.slice(0, query) }, message: `The signature covers the path without its query string (${path.slice(0, query)}), but the request went to ${path}: v2 signs the path with the query string exactly as sent.` };
  }
  const bare = query >= 0 ? path.slice(0, query) : path;
  const rest = query >= 0 ? path.slice(query) : '';
  const toggled = bare.endsWith('/') ? bare.replace(/\/+$/, '') : `${bare}/`;
  if (toggled !== '') {
    yield { code: 'path_slash', change: { path: toggled + rest }, message: `The signature covers the path ${toggled + rest}, but the request went to ${path}: a trailing slash was ${bare.endsWith('/') ? 'added' : 'dropped'} between signing and sending. Sign the path exactly as sent.` };
  }
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = undefined;
  }
  if (decoded !== undefined && decoded !== path) {
    yield { code: 'path_encoding', change: { path: decoded }, message: `The signature covers the path percent-decoded (${decoded}), but the request sent ${path}: sign the path and query exactly as they appear in the request, encoded.` };
  }
  if (c.baseUrl) {
    yield { code: 'path_full_url', change: { path: c.baseUrl + path }, message: `The signature covers the full URL (${c.baseUrl + path}): v2 signs only the path and query string (${path}), without scheme and host.` };
  }
}

function* methodVariants(c: RequestSignatureCase, scheme: SignatureScheme): Generator<Variant> {
  if (scheme !== 'v2') return;
  for (const method of ['POST', 'GET', 'PUT', 'PATCH', 'DELETE']) {
    if (method === c.method.toUpperCase()) continue;
    yield { code: 'method', change: { method }, message: `The signature covers the method ${method}, but the request is a ${c.method.toUpperCase()}: sign the method the request is sent with.` };
  }
}

function* secretVariants(c: RequestSignatureCase): Generator<Variant> {
  for (const ending of ['\n', '\r\n']) {
    yield {
      code: 'secret_newline',
      change: { secret: c.secret + ending },
      message: `The signature was made with the secret key followed by ${ending === '\n' ? 'a newline' : 'CR LF'}: the signer read the secret from a file, or an environment file, that ends with one. Trim the secret before signing.`,
    };
  }
  for (const other of c.otherSecrets ?? []) {
    if (other.secret === c.secret) continue;
    yield {
      code: 'secret_other',
      change: { secret: other.secret },
      message: `The signature was made with the secret key from ${other.from}, not the one given: the client signs with another key's secret (test and live secrets differ; after a roll, use the new one).`,
    };
  }
}

/** "the API key is a test key (pk_test_) but …" when the prefixes show a sandbox/live mix-up. */
function modeMismatch(c: RequestSignatureCase): string | undefined {
  const keyMode = /^pk_(test|live)_/.exec(c.apiKey ?? '')?.[1];
  const secretMode = /^sk_(test|live)_/.exec(c.secret)?.[1];
  if (!keyMode || !secretMode || keyMode === secretMode) return undefined;
  return `the API key is a ${keyMode} key (pk_${keyMode}_) and the secret key a ${secretMode} secret (sk_${secretMode}_): they are not a pair; sandbox and live keys each have their own secret.`;
}

/** Nothing explains it: most likely the secret. */
function noMatch(c: RequestSignatureCase): { code: RequestDiagnosis; message: string } {
  const pairing = modeMismatch(c);
  if (pairing) return { code: 'secret_mode', message: `No change to the other inputs makes the signature match, and ${pairing} Sign with the secret issued with this API key.` };
  return {
    code: 'no_match',
    message:
      'No single change to the scheme, body, timestamp, path, method or newlines makes the signature match, so the secret most likely differs: ' +
      "the other mode's secret (test and live keys each have their own), another key's or merchant's secret, or a secret replaced by a roll (the old one stops at the end of the overlap). " +
      'Also check that the digest is HMAC-SHA256 in hex. Compare your signed string with the ones below.',
  };
}

function sign(inputs: Inputs): string {
  return signRequest({ scheme: inputs.scheme, secret: inputs.secret, timestamp: inputs.timestamp, body: inputs.body, method: inputs.method, path: inputs.path ?? '' });
}

function covered(inputs: Inputs): SignedString {
  const message = signedMessage(inputs.scheme, { timestamp: inputs.timestamp, body: inputs.body, method: inputs.method, path: inputs.path ?? '/' });
  return { scheme: inputs.scheme, message: messageBytes(message) };
}


interface SignatureForm {
  hex: string | undefined;
  /** A form the gateway refuses even when the digest is right. */
  code?: 'signature_encoding';
  problem?: string;
  /** A harmless difference, worth a note. */
  note?: string;
}

/** The digest in lowercase hex, from the forms integrators send by mistake. */
function normaliseSignature(given: string): SignatureForm {
  const trimmed = given.trim();
  const note = trimmed !== given ? 'the signature has spaces or a newline around it; HTTP servers usually strip them from a header, but do not send them.' : undefined;
  if (HEX_SHA256.test(trimmed)) return { hex: trimmed.toLowerCase(), note };
  const prefixed = /^sha256=([0-9a-f]{64})$/i.exec(trimmed);
  if (prefixed?.[1]) return { hex: prefixed[1].toLowerCase(), code: 'signature_encoding', problem: 'X-SIGNATURE has a "sha256=" prefix: send the hex digest alone.', note };
  if (BASE64_SHA256.test(trimmed)) {
    const hex = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex');
    return { hex, code: 'signature_encoding', problem: 'X-SIGNATURE is the digest in base64: the gateway wants it in hex (64 characters 0-9a-f).', note };
  }
  return { hex: undefined };
}

/** The signing package's own explanation of a malformed X-SIGNATURE (sha256= prefix, SHA-1, SHA-512, …). */
function malformedSignatureMessage(c: RequestSignatureCase): string {
  const result = verifyRequest({ secrets: [c.secret], signature: c.signature, timestamp: '1', rawBody: '', method: 'POST', path: '/', nowSeconds: 1 });
  return result.ok ? 'X-SIGNATURE is malformed.' : result.message;
}

function timestampMessage(c: RequestSignatureCase): string {
  const check = checkTimestamp(c.timestamp, c.nowSeconds);
  return check.ok ? '' : check.message;
}
