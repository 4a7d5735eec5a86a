/**
 * Signed responses: the gateway signs every /api/ reply with its own Ed25519
 * key, as RFC 9421 HTTP Message Signatures, so that a merchant can prove a
 * reply came from its gateway and was not altered on the way.
 *
 * A reply carries three headers:
 *
 *   Content-Digest:  sha-256=:<base64 SHA-256 of the body bytes>:        (RFC 9530)
 *   Signature-Input: tijori=("@status" "content-digest" "x-signature";req);created=1795462062;keyid="gsk_...";alg="ed25519"
 *   Signature:       tijori=:<base64 of the 64-byte Ed25519 signature>:
 *
 * The signature covers the status code, the Content-Digest (and through it
 * every byte of the body) and, when the request had one, the request's
 * X-SIGNATURE: a reply cannot be moved to another request, or an old reply
 * replayed for a new one. The signed bytes are the RFC 9421 §2.5 signature
 * base: one line per covered component, `"name": value`, then
 * `"@signature-params": (...)` with no newline after it. The public keys are
 * published as a JWK Set at /.well-known/jwks.json; `keyid` names the key.
 *
 * This file holds everything but the two primitives (SHA-256 of the body,
 * the Ed25519 check): the headers, the RFC 9421 signature base, what must be
 * covered, the age and the JWK Set lookup. No node:crypto and no Buffer: it
 * is part of `@tijori/signing/messages`, so the SDK verifies replies the same
 * way with WebCrypto. response-signature.ts adds node:crypto.
 */
import { isBytesOrString, publicBytesEqual, toBase64 } from './bytes.js';
import { type InnerList, isInnerList, type Item, param, parseDictionary, serializeInnerList, serializeString } from './structured-fields.js';

/** The Signature-Input / Signature dictionary key the gateway signs under. */
export const RESPONSE_SIGNATURE_LABEL = 'tijori';
/** RFC 9421 §6.2.2 algorithm name (the JWK spells it "EdDSA"). */
export const RESPONSE_SIGNATURE_ALGORITHM = 'ed25519';
/** 300 s each way: the window requests are signed within. */
export const DEFAULT_RESPONSE_MAX_AGE_SECONDS = 300;

/** One covered component: its identifier (a field name or a derived component such as "@status", `req` for the request's field) and its value. */
export interface ComponentId {
  name: string;
  /** The component is taken from the request this message answers (RFC 9421 §2.4). */
  req?: boolean;
}
export interface CoveredComponent extends ComponentId {
  value: string;
}

/** An Ed25519 public key as a JSON Web Key (RFC 8037), as /.well-known/jwks.json lists it. */
// A type, not an interface, so that it passes where node:crypto takes a JsonWebKey.
export type ResponseSigningJwk = {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
};

export interface ResponseSignatureHeaders {
  'signature-input': string;
  signature: string;
}

/** A Fetch-style Headers object (get is case-insensitive), or Node's IncomingHttpHeaders or any plain record. */
export type ResponseHeaders = Record<string, string | string[] | number | undefined> | { get(name: string): string | null };

/** What verifying a reply takes, whichever library computes the primitives. */
export interface ResponseVerificationInput {
  /** The reply's HTTP status code. */
  status: number;
  /** The reply's headers. */
  headers: ResponseHeaders;
  /** The reply body exactly as received: raw bytes or text, before JSON.parse. */
  body: string | Uint8Array;
  /** The X-SIGNATURE your request carried. Give it: then a reply to another request fails. */
  requestSignature?: string | undefined;
  /** The gateway's JWK Set: the JSON from /.well-known/jwks.json, parsed or as text. */
  jwks?: { keys: readonly unknown[] } | string;
  /** Instead of jwks: a key source the caller resolves itself (verifyResponse: a KeyObject, an SPKI PEM, or a lookup by key id). */
  publicKey?: unknown;
  /** How far `created` may be from now, each way. Default 300; Infinity to check an archived reply. */
  maxAgeSeconds?: number;
  /** UNIX seconds; default the system clock. */
  nowSeconds?: number;
}

export type ResponseVerifyFailureCode =
  | 'invalid_input'
  | 'missing_headers'
  | 'malformed_headers'
  | 'unsupported_algorithm'
  | 'components_not_covered'
  | 'content_digest_mismatch'
  | 'signature_expired'
  | 'unknown_key'
  | 'invalid_key'
  | 'signature_mismatch';

/** Every failure code, in the order the checks run; for catalogues and their tests. */
export const RESPONSE_VERIFY_FAILURE_CODES: readonly ResponseVerifyFailureCode[] = Object.freeze([
  'invalid_input',
  'missing_headers',
  'malformed_headers',
  'unsupported_algorithm',
  'components_not_covered',
  'content_digest_mismatch',
  'signature_expired',
  'unknown_key',
  'invalid_key',
  'signature_mismatch',
] as const);

export type VerifyResponseResult =
  | { ok: true; keyId: string; created: number }
  | { ok: false; code: ResponseVerifyFailureCode; message: string };

/** RFC 9530 Content-Digest with SHA-256, from the digest: `sha-256=:<base64>:`. */
export function contentDigestValue(sha256: Uint8Array): string {
  return `sha-256=:${toBase64(sha256)}:`;
}

// RFC 9421 §2.5: the base is ASCII, and a value with a line break would forge another line.
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The `@signature-params` value (RFC 9421 §2.3): the covered component
 * identifiers as an inner list, then the parameters in the order given
 * (numbers as integers, strings as strings).
 */
export function signatureParamsValue(components: readonly ComponentId[], params: ReadonlyArray<readonly [string, string | number]>): string {
  return serializeInnerList({
    list: components.map((c) => ({ item: { type: 'string', value: c.name }, params: c.req ? [['req', { type: 'boolean', value: true }]] : [] })),
    params: params.map(([k, v]) => [k, typeof v === 'number' ? { type: 'integer', value: v } : { type: 'string', value: v }] as const),
  });
}

/**
 * The signature base of RFC 9421 §2.5: `"<identifier>": <value>` for each
 * covered component in order, each line ending in a newline, then
 * `"@signature-params": <value>` with none. Throws TypeError for a value
 * that is not printable ASCII (a programmer error: HTTP field values
 * reaching here are already trimmed single lines).
 */
export function signatureBase(components: readonly CoveredComponent[], signatureParams: string): string {
  let base = '';
  for (const c of components) {
    if (!PRINTABLE_ASCII.test(c.value)) throw new TypeError(`signatureBase: the value of ${c.name} is not printable ASCII on one line`);
    base += `${serializeString(c.name)}${c.req ? ';req' : ''}: ${c.value}\n`;
  }
  return `${base}"@signature-params": ${signatureParams}`;
}

/** Optional whitespace around a field value (RFC 9110 §5.6.3), trimmed before use. */
export const OWS = /^[ \t]+|[ \t]+$/g;

interface ParsedSignature {
  components: Array<ComponentId>;
  innerList: InnerList;
  created: number;
  keyId: string;
  signature: Uint8Array;
}

/**
 * What is left once every check that needs no primitive has passed: the
 * Ed25519 signature over `base` under the key named `keyId`. `jwk` is that
 * key from the JWK Set when one was given (its public member x, base64url);
 * undefined when the caller's own publicKey source is to be asked. `base` is
 * undefined when the request signature given cannot be part of a base: the
 * answer is then `mismatch`, once the key has been found.
 */
export interface ResponseVerificationPlan {
  ok: true;
  keyId: string;
  created: number;
  jwk: { x: string } | undefined;
  base: Uint8Array | undefined;
  signature: Uint8Array;
  mismatch: Extract<VerifyResponseResult, { ok: false }>;
}

/**
 * Every check of verifyResponse but the two primitives, in order: the
 * inputs, the three headers, the algorithm, what is covered, the body
 * against Content-Digest (given `bodySha256`, the SHA-256 of the body, which
 * the caller computes when the body is a string or bytes), the age, and the
 * key in the JWK Set. Returns a failure, or the plan for the signature check.
 */
export function prepareResponseVerification(
  input: ResponseVerificationInput,
  bodySha256: Uint8Array | undefined,
): ResponseVerificationPlan | Extract<VerifyResponseResult, { ok: false }> {
  const given: Partial<Record<keyof ResponseVerificationInput, unknown>> = typeof input === 'object' && input !== null ? input : {};
  const { status, body } = given;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return failure('invalid_input', 'status must be the reply\'s HTTP status code as a number (response.status, res.statusCode).');
  }
  if (!isBytesOrString(body) || bodySha256 === undefined) return failure('invalid_input', NOT_RAW_BODY);
  if (given.jwks === undefined && given.publicKey === undefined) {
    return failure('invalid_input', 'Pass jwks (the JSON served at /.well-known/jwks.json by your gateway) or publicKey, to verify the reply against.');
  }
  const requestSignature = typeof given.requestSignature === 'string' ? given.requestSignature.replace(OWS, '') : undefined;

  const read = headerReader(given.headers);
  if (read === undefined) return failure('invalid_input', 'headers must be the reply headers: a plain object (Node res.headers) or a Fetch Headers object (response.headers).');
  const signatureInputText = read('signature-input');
  const signatureText = read('signature');
  const digestText = read('content-digest');
  const missing = [
    ['Signature-Input', signatureInputText],
    ['Signature', signatureText],
    ['Content-Digest', digestText],
  ].filter(([, v]) => v === undefined).map(([name]) => name);
  if (missing.length > 0) {
    return failure(
      'missing_headers',
      `The reply has no ${missing.join(', ')} header. Tijori signs every reply under /api/; if this one came from the gateway, something between it and you (a proxy or CDN) removed the header.`,
    );
  }

  const parsed = parseSignature(signatureInputText as string, signatureText as string);
  if (typeof parsed === 'string') return failure('malformed_headers', parsed);
  const alg = param(parsed.innerList.params, 'alg');
  if (alg !== undefined && !(alg.type === 'string' && alg.value === RESPONSE_SIGNATURE_ALGORITHM)) {
    return failure('unsupported_algorithm', `The reply is signed with alg ${alg.type === 'string' ? `"${alg.value}"` : 'of another type'}; this verifier accepts "${RESPONSE_SIGNATURE_ALGORITHM}" only.`);
  }

  const covered = coverageProblem(parsed.components, requestSignature);
  if (covered) return failure('components_not_covered', covered);

  const digestProblem = checkDigest(digestText as string, bodySha256);
  if (digestProblem) return failure('content_digest_mismatch', digestProblem);

  const now = typeof given.nowSeconds === 'number' ? given.nowSeconds : Math.floor(Date.now() / 1000);
  const maxAge = typeof given.maxAgeSeconds === 'number' ? given.maxAgeSeconds : DEFAULT_RESPONSE_MAX_AGE_SECONDS;
  if (now - parsed.created > maxAge) {
    return failure('signature_expired', `The reply was signed at ${parsed.created}, ${now - parsed.created} s before ${now}: more than the ${maxAge} s allowed. Replayed, or checked long after it arrived (pass maxAgeSeconds to check an archived reply).`);
  }
  if (parsed.created - now > maxAge) {
    return failure('signature_expired', `The reply was signed at ${parsed.created}, ${parsed.created - now} s ahead of this machine's clock (${now}): check the clock of this machine (NTP).`);
  }

  let jwk: { x: string } | undefined;
  if (given.jwks !== undefined) {
    const found = jwkFromSet(given.jwks, parsed.keyId);
    if (!found.ok) return found;
    jwk = { x: found.x };
  }

  const values: Record<string, string> = { '@status': String(status), 'content-digest': digestText as string, 'x-signature': requestSignature ?? '' };
  const components = parsed.components.map((c) => ({ ...c, value: values[c.name] as string }));
  // Latin-1 of printable ASCII is its UTF-8: TextEncoder gives the bytes.
  const base = components.every((c) => PRINTABLE_ASCII.test(c.value)) ? new TextEncoder().encode(signatureBase(components, serializeInnerList(parsed.innerList))) : undefined;
  return {
    ok: true,
    keyId: parsed.keyId,
    created: parsed.created,
    jwk,
    base,
    signature: parsed.signature,
    mismatch: failure(
      'signature_mismatch',
      base === undefined ? 'requestSignature is not printable ASCII on one line: pass the X-SIGNATURE header value exactly as you sent it.' : SIGNATURE_MISMATCH,
    ),
  };
}

function failure(code: ResponseVerifyFailureCode, message: string): Extract<VerifyResponseResult, { ok: false }> {
  return { ok: false, code, message };
}

/** The answer when verification itself went wrong (unexpected input): closed, never open. */
export const UNEXPECTED_RESPONSE_INPUT: Extract<VerifyResponseResult, { ok: false }> = Object.freeze({
  ok: false,
  code: 'invalid_input',
  message: 'The reply could not be verified because of an unexpected input. Pass status, headers, the raw body, and jwks or publicKey.',
});

function parseSignature(signatureInputText: string, signatureText: string): ParsedSignature | string {
  const label = RESPONSE_SIGNATURE_LABEL;
  const inputs = parseDictionary(signatureInputText);
  if (inputs === undefined) return 'Signature-Input is not a valid structured-field dictionary (RFC 8941). Pass the header value exactly as received.';
  const member = inputs.get(label);
  if (member === undefined) {
    const labels = [...inputs.keys()];
    return `Signature-Input has no "${label}" signature${labels.length > 0 ? ` (only ${labels.map((l) => `"${l}"`).join(', ')})` : ''}: is this reply from a Tijori gateway?`;
  }
  if (!isInnerList(member)) return `Signature-Input's "${label}" member is not an inner list of covered components.`;
  const components: ComponentId[] = [];
  for (const item of member.list) {
    const component = componentId(item);
    if (typeof component === 'string') return component;
    if (components.some((c) => c.name === component.name && c.req === component.req)) return `Signature-Input covers ${component.name} twice.`;
    components.push(component);
  }
  const created = param(member.params, 'created');
  const keyId = param(member.params, 'keyid');
  if (created?.type !== 'integer' || created.value < 0) return `Signature-Input's "${label}" has no created parameter (UNIX seconds).`;
  if (keyId?.type !== 'string' || keyId.value === '') return `Signature-Input's "${label}" has no keyid parameter naming the signing key.`;

  const signatures = parseDictionary(signatureText);
  if (signatures === undefined) return 'Signature is not a valid structured-field dictionary (RFC 8941). Pass the header value exactly as received.';
  const signature = signatures.get(label);
  if (signature === undefined || isInnerList(signature) || signature.item.type !== 'binary') return `Signature has no "${label}" byte sequence (${label}=:<base64>:).`;
  if (signature.item.value.length !== 64) return `Signature's "${label}" is ${signature.item.value.length} bytes; an Ed25519 signature is 64.`;
  return { components, innerList: member, created: created.value, keyId: keyId.value, signature: signature.item.value };
}

function componentId(item: Item): ComponentId | string {
  if (item.item.type !== 'string') return 'Signature-Input lists a covered component that is not a string.';
  const name = item.item.value;
  const req = param(item.params, 'req');
  const onlyReq = item.params.length === (req ? 1 : 0) && (req === undefined || (req.type === 'boolean' && req.value));
  const known = (name === '@status' || name === 'content-digest') ? !req && onlyReq : name === 'x-signature' ? Boolean(req) && onlyReq : false;
  if (!known) return `Signature-Input covers ${JSON.stringify(name)}${item.params.length > 0 ? ' with parameters' : ''}, which a Tijori reply never signs; this verifier checks "@status", "content-digest" and "x-signature";req only.`;
  return req ? { name, req: true } : { name };
}

function coverageProblem(components: readonly ComponentId[], requestSignature: string | undefined): string | undefined {
  const has = (name: string) => components.some((c) => c.name === name);
  if (!has('@status') || !has('content-digest')) {
    return 'The signature does not cover both "@status" and "content-digest", so the status or the body could have been changed without breaking it.';
  }
  if (requestSignature !== undefined && requestSignature !== '' && !has('x-signature')) {
    return 'The signature does not cover your request\'s X-SIGNATURE ("x-signature";req), so it could be a reply to another request.';
  }
  if ((requestSignature === undefined || requestSignature === '') && has('x-signature')) {
    return 'The reply is bound to the request\'s X-SIGNATURE: pass requestSignature, the X-SIGNATURE header value your request carried.';
  }
  return undefined;
}

function checkDigest(digestText: string, bodySha256: Uint8Array): string | undefined {
  const digests = parseDictionary(digestText);
  const sha256 = digests?.get('sha-256');
  if (sha256 === undefined || isInnerList(sha256) || sha256.item.type !== 'binary' || sha256.item.value.length !== 32) {
    return 'Content-Digest has no sha-256 digest (sha-256=:<base64>:).';
  }
  // Both sides are public (the body and its digest): no secret to time.
  if (!publicBytesEqual(bodySha256, sha256.item.value)) {
    return `The body does not match Content-Digest. ${NOT_RAW_BODY}`;
  }
  return undefined;
}

/** The Ed25519 key named keyId in a JWK Set (object or JSON text), or why there is none. */
function jwkFromSet(jwks: unknown, keyId: string): { ok: true; x: string } | Extract<VerifyResponseResult, { ok: false }> {
  let set: unknown = jwks;
  if (typeof jwks === 'string') {
    try {
      set = JSON.parse(jwks);
    } catch {
      return failure('invalid_key', 'jwks is not JSON: pass the body of /.well-known/jwks.json, or its parsed object.');
    }
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return failure('invalid_key', 'jwks has no "keys" array: pass the JWK Set from /.well-known/jwks.json.');
  const jwk = keys.find((k: unknown) => (k as { kid?: unknown } | null)?.kid === keyId) as Record<string, unknown> | undefined;
  if (jwk === undefined) {
    return failure(
      'unknown_key',
      `The reply is signed with key ${keyId}, which is not in the JWK Set you passed. Fetch /.well-known/jwks.json again (the gateway may have rotated its key since you cached it); a key missing from a fresh copy was retired or never belonged to this gateway.`,
    );
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || (jwk.alg !== undefined && jwk.alg !== 'EdDSA') || (jwk.use !== undefined && jwk.use !== 'sig')) {
    return failure('invalid_key', `Key ${keyId} in the JWK Set is not an Ed25519 signing key (kty "OKP", crv "Ed25519", alg "EdDSA", use "sig").`);
  }
  return { ok: true, x: jwk.x };
}

type HeaderRead = (name: string) => string | undefined;

/** Case-insensitive header lookup over a Fetch Headers object or a plain record; repeated fields are joined with ", " as RFC 9421 §2.1 combines them. */
function headerReader(headers: unknown): HeaderRead | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    return (name) => {
      const value: unknown = getter.call(headers, name);
      return typeof value === 'string' && value !== '' ? value.replace(OWS, '') : undefined;
    };
  }
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map((v) => String(v).replace(OWS, ''));
    const key = name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), ...values]);
  }
  return (name) => {
    const values = byName.get(name)?.filter((v) => v !== '');
    return values && values.length > 0 ? values.join(', ') : undefined;
  };
}

const NOT_RAW_BODY =
  'Pass the body exactly as received, as text or bytes (await response.text(), or the raw Buffer), not a parsed and re-serialised object; ' +
  'a proxy that re-encodes or reformats the body breaks the digest too.';

const SIGNATURE_MISMATCH =
  'The signature does not match: the status, the body or the signature headers were changed after the gateway signed them, ' +
  'or requestSignature is not the X-SIGNATURE this request carried, or the key is not the one the gateway signed with. ' +
  'Pass the status and raw body exactly as received and the X-SIGNATURE you sent.';
