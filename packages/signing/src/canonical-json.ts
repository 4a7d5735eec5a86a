/**
 * Canonical JSON: the one serialisation of a parsed body that a client and
 * the server can both reproduce, so a v1 signature survives re-formatting.
 *
 * KwikPaisa tells integrators to sort keys recursively and encode compactly
 * with unescaped slashes before signing. This is that encoding, pinned down:
 * keys sorted by Unicode code point, arrays in order, no whitespace, and every
 * scalar printed exactly as JSON.stringify prints it.
 */

/**
 * Serialise `value` canonically.
 *
 * - Object keys are sorted recursively by Unicode code point (the order of
 *   their UTF-8 bytes, which is what PHP's ksort(SORT_STRING) and Python's
 *   sort_keys give), not by JavaScript's default UTF-16 code-unit order.
 * - Arrays keep their order. No whitespace anywhere.
 * - Strings, numbers, booleans and null are printed exactly as JSON.stringify
 *   prints them: slashes and non-ASCII unescaped, 105.00 -> 105, 1e2 -> 100,
 *   -0 -> 0.
 * - As with JSON.stringify, `toJSON` is honoured, an object property whose
 *   value is undefined is left out and an undefined array element prints null.
 *
 * Throws TypeError for what JSON cannot represent: undefined at the top level,
 * functions, symbols, bigints, NaN and ±Infinity, cycles, and arrays and
 * objects nested more than MAX_CANONICAL_DEPTH deep. JSON.stringify
 * would silently drop or null some of these; a signature over a silently
 * altered body would only confuse, so we refuse instead. Meant for the output
 * of JSON.parse, where none of these can occur.
 */
/**
 * The deepest nesting of arrays and objects canonicalJson serialises (PHP's
 * json_encode and json_decode stop at 512). Without it, a body nested some
 * 4,000 levels deep (JSON.parse takes any depth) overflowed the call stack:
 * a RangeError instead of the documented TypeError, at a depth that varied
 * with the engine and the caller's stack, so two runtimes could disagree on
 * whether a canonical form exists.
 */
export const MAX_CANONICAL_DEPTH = 1000;

export function canonicalJson(value: unknown): string {
  const out = serialise(value, '', new Set<object>(), []);
  if (out === undefined) {
    throw new TypeError('canonicalJson: undefined cannot be represented in JSON');
  }
  return out;
}

/** Returns undefined only for an undefined value (after toJSON), which the caller omits or nulls. */
function serialise(value: unknown, key: string, ancestors: Set<object>, path: string[]): string | undefined {
  if (value !== null && (typeof value === 'object' || typeof value === 'bigint')) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = toJSON.call(value, key);
  }
  // Boxed primitives print as their primitive, as in JSON.stringify.
  if (value instanceof Number) value = Number(value);
  else if (value instanceof String) value = String(value);
  else if (value instanceof Boolean) value = value.valueOf();

  switch (typeof value) {
    case 'string':
      // JSON.stringify's escaping is the canonical one: \" \\ \b \f \n \r \t,
      // other controls as \u00XX, lone surrogates as \uDXXX, all else literal.
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) fail(`${String(value)} is not a JSON number`, path);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return undefined;
    case 'bigint':
      fail('a bigint has no JSON form', path);
    case 'function':
      fail('a function has no JSON form', path);
    case 'symbol':
      fail('a symbol has no JSON form', path);
  }
  if (value === null) return 'null';

  const object = value as object;
  // A cycle would recurse forever; a shared (acyclic) reference is fine, as in JSON.stringify.
  if (ancestors.has(object)) fail('the value contains a cycle', path);
  // ancestors holds exactly the arrays and objects still open above this one.
  // (Not through fail(): the path would be a thousand steps long.)
  if (ancestors.size >= MAX_CANONICAL_DEPTH) {
    throw new TypeError(`canonicalJson: cannot serialise the value: arrays and objects are nested more than ${MAX_CANONICAL_DEPTH} deep`);
  }
  ancestors.add(object);
  let out: string;
  if (Array.isArray(object)) {
    const parts: string[] = [];
    for (let i = 0; i < object.length; i++) {
      path.push(String(i));
      parts.push(serialise(object[i], String(i), ancestors, path) ?? 'null');
      path.pop();
    }
    out = `[${parts.join(',')}]`;
  } else {
    const record = object as Record<string, unknown>;
    const keys = Object.keys(record).sort(compareCodePoints);
    const parts: string[] = [];
    for (const k of keys) {
      path.push(k);
      const member = serialise(record[k], k, ancestors, path);
      path.pop();
      if (member !== undefined) parts.push(`${JSON.stringify(k)}:${member}`);
    }
    out = `{${parts.join(',')}}`;
  }
  ancestors.delete(object);
  return out;
}

function fail(reason: string, path: readonly string[]): never {
  const where = path.length === 0 ? 'the top level' : path.map((p) => `[${JSON.stringify(p)}]`).join('');
  throw new TypeError(`canonicalJson: cannot serialise ${where}: ${reason}`);
}

/**
 * Orders strings by Unicode code point.
 *
 * UTF-16 code-unit order (JavaScript's default sort) agrees with code-point
 * order except where a surrogate (D800–DFFF, half of a code point ≥ U+10000)
 * meets a unit in E000–FFFF: '\u{1F600}' (D83D DE00) sorts before '\uFF61' by
 * code unit but after it by code point. Ranking each half of a pair above
 * U+FFFF fixes exactly that case. A lone surrogate (JSON.parse gives one for
 * "\ud801") is the code point D800–DFFF itself, so it ranks as its own value:
 * below E000 and below every pair, as in Python's sort_keys (fast-check found
 * "\ud801" sorted after "\u{10000}" when every surrogate was lifted).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(a, i, x) - codePointRank(b, i, y);
  }
  return a.length - b.length;
}

function codePointRank(s: string, i: number, unit: number): number {
  if (unit < 0xd800 || unit > 0xdfff) return unit;
  const paired = unit < 0xdc00 ? isLowSurrogate(s.charCodeAt(i + 1)) : isHighSurrogate(s.charCodeAt(i - 1));
  return paired ? unit + 0x10000 : unit;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** The canonical JSON of a parsed body, or undefined when there is none or it has no JSON form (never throws). */
export function tryCanonicalJson(parsedBody: unknown): string | undefined {
  if (parsedBody === undefined) return undefined;
  try {
    return canonicalJson(parsedBody);
  } catch {
    return undefined;
  }
}
