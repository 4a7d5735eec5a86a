/**
 * Sandbox debugging: shows an integrator the exact strings the server signs,
 * so they can diff them against their own.
 *
 * The body is replaced by `<body sha256=HEX length=N>` (N in bytes): the
 * integrator can hash what they sent and compare, and the description stays
 * short and safe to log. No secret is an input, so none can leak.
 */
import { createHash } from 'node:crypto';
import { tryCanonicalJson } from './canonical-json.js';
import { publicKeysGiven } from './public-key.js';
import { isBytesOrString } from './bytes.js';
import type { SignatureScheme } from './request-message.js';
import type { VerifyRequestInput } from './verify-request.js';

export interface SignedStringDescription {
  scheme: SignatureScheme;
  form: 'raw' | 'canonical';
  /** The signed string, with the body shown as `<body sha256=HEX length=N>`. */
  signed: string;
  body_sha256: string;
  body_length: number;
}

/**
 * Describes what the server would sign for this request under every allowed
 * scheme: v1 over the raw body, v1 over the canonical JSON (when parsedBody
 * has a JSON form), and v2. `version` does not narrow the list, so a client
 * that sent the wrong X-SIGNATURE-VERSION still sees the string it meant to
 * sign. With publicKeys (non-empty) only the v2 string is listed, because a
 * public key signs nothing else. Never throws; inputs of the wrong type are
 * described as empty.
 */
export function describeSignedStrings(
  input: Omit<VerifyRequestInput, 'secrets' | 'signature' | 'nowSeconds' | 'toleranceSeconds'>,
): SignedStringDescription[] {
  try {
    return describe(input);
  } catch {
    return [];
  }
}

function describe(input: Omit<VerifyRequestInput, 'secrets' | 'signature' | 'nowSeconds' | 'toleranceSeconds'>): SignedStringDescription[] {
  const given: Partial<Record<keyof VerifyRequestInput, unknown>> =
    typeof input === 'object' && input !== null ? input : {};
  const configured: readonly unknown[] =
    given.allowedSchemes === undefined ? ['v1', 'v2'] : Array.isArray(given.allowedSchemes) ? given.allowedSchemes : [];
  const allowed = publicKeysGiven(given.publicKeys) ? configured.filter((scheme) => scheme === 'v2') : configured;
  const timestamp = typeof given.timestamp === 'string' ? given.timestamp : '';
  const raw = isBytesOrString(given.rawBody) ? given.rawBody : '';
  const out: SignedStringDescription[] = [];

  if (allowed.includes('v1')) {
    const rawBody = bodyPlaceholder(raw);
    out.push({ scheme: 'v1', form: 'raw', signed: rawBody.text + timestamp, ...rawBody.fields });
    const canonical = tryCanonicalJson(given.parsedBody);
    if (canonical !== undefined) {
      const body = bodyPlaceholder(canonical);
      out.push({ scheme: 'v1', form: 'canonical', signed: body.text + timestamp, ...body.fields });
    }
  }
  if (allowed.includes('v2')) {
    const method = typeof given.method === 'string' ? given.method.toUpperCase() : '';
    const path = typeof given.path === 'string' ? given.path : '';
    const body = bodyPlaceholder(raw);
    out.push({ scheme: 'v2', form: 'raw', signed: method + path + body.text + timestamp, ...body.fields });
  }
  return out;
}

function bodyPlaceholder(body: string | Uint8Array): { text: string; fields: { body_sha256: string; body_length: number } } {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    text: `<body sha256=${sha256} length=${bytes.length}>`,
    fields: { body_sha256: sha256, body_length: bytes.length },
  };
}

