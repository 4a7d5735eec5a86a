/**
 * Properties of canonicalJson over arbitrary JSON: weird Unicode (lone
 * surrogates, U+2028, the code points where UTF-16 and code-point order
 * disagree), huge and tiny numbers, -0, deep nesting and duplicate keys.
 * Values are made the way the server makes them: by JSON.parse of a body.
 *
 * fast-check's seed is fixed so a failure reproduces; it prints the seed and
 * the shrunk counterexample when a property fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, compareCodePoints, MAX_CANONICAL_DEPTH, tryCanonicalJson } from './canonical-json.js';

const SEED = 0x7170;
const RUNS = 1000;

/** One UTF-16 code unit or code point of the kinds that break naive JSON code. */
const weirdUnit = fc.oneof(
  fc.constantFrom('"', '\\', '/', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uE000', '\uFF61', '\u{1F600}', '\u{10FFFF}', '__proto__', 'constructor'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)), // lone surrogates
  fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const weirdString = fc.string({ unit: weirdUnit, maxLength: 12 });

/** Number literals as a client may send them: integers past 2^53, 100 digits, 1e400 (Infinity when parsed), 1e-400 (0), -0, exponents. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.bigInt({ min: -(10n ** 100n), max: 10n ** 100n }).map(String),
  fc.constantFrom('-0', '0.0', '1e400', '-1e400', '1e-400', '105.00', '1E2', '9007199254740993', '4.9e-324', '1.7976931348623157e308', '0.1e1', '-0.0e-0'),
);

/** JSON text, with duplicate keys and the formatting a client may use, generated as text so that JSON.parse decides what it means. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('null', 'true', 'false'),
    numberText,
    weirdString.map((s) => JSON.stringify(s)),
    fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(' , ')}]`),
    fc
      .array(fc.tuple(fc.oneof(weirdString, fc.constantFrom('a', 'b', '__proto__')), tie('value')), { maxLength: 6 })
      // Keys repeat often (a, b): JSON.parse keeps the last, and so must the canonical form.
      .map((members) => `{\n ${members.map(([k, v]) => `${JSON.stringify(k)} :\t${v}`).join(',\n ')} }`),
  ),
})).value;

/** A parsed body, plus a note of whether it holds a non-finite number (1e400), which JSON cannot print. */
function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasNonFinite);
  return false;
}

/** An independent statement of the key order: compare code point by code point (a lone surrogate is its own code point). */
function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).reverse()) Object.defineProperty(out, k, { value: reverseKeys((value as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

/** JSON equality where -0 equals 0 (JSON has one zero). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return jsonEqual(ka, kb) && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

describe('canonicalJson properties', () => {
  it('never throws on a parsed JSON value, except the documented TypeError for a non-finite number (1e400)', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const value: unknown = JSON.parse(text);
        if (hasNonFinite(value)) {
          assert.throws(() => canonicalJson(value), TypeError);
          assert.equal(tryCanonicalJson(value), undefined);
          return;
        }
        const out = canonicalJson(value);
        assert.equal(typeof out, 'string');
        assert.equal(tryCanonicalJson(value), out);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('prints valid, compact JSON meaning the same value, and is idempotent: canonical(parse(canonical(v))) = canonical(v)', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const value: unknown = JSON.parse(text);
        fc.pre(!hasNonFinite(value));
        const out = canonicalJson(value);
        const reparsed: unknown = JSON.parse(out);
        assert.ok(jsonEqual(reparsed, value), `${out} does not mean ${text}`);
        assert.equal(canonicalJson(reparsed), out);
        // No insignificant whitespace: JSON.stringify of the same value has exactly as many characters.
        assert.equal(out.length, JSON.stringify(value).length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('does not depend on key insertion order or on the formatting of the text it was parsed from', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const value: unknown = JSON.parse(text);
        fc.pre(!hasNonFinite(value));
        const out = canonicalJson(value);
        assert.equal(canonicalJson(reverseKeys(value)), out);
        assert.equal(canonicalJson(JSON.parse(JSON.stringify(value, null, 2))), out);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('keeps the last of duplicate keys, as JSON.parse does', () => {
    fc.assert(
      fc.property(weirdString, jsonText, jsonText, (key, first, last) => {
        const value = JSON.parse(`{${JSON.stringify(key)}:${first},${JSON.stringify(key)}:${last}}`) as Record<string, unknown>;
        fc.pre(!hasNonFinite(value));
        assert.equal(canonicalJson(value), canonicalJson(JSON.parse(`{${JSON.stringify(key)}:${last}}`)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('orders keys by Unicode code point (lone surrogates included), checked against an independent comparison', () => {
    fc.assert(
      fc.property(fc.uniqueArray(weirdString, { maxLength: 8 }), (keys) => {
        const value: Record<string, number> = {};
        keys.forEach((k, i) => Object.defineProperty(value, k, { value: i, enumerable: true }));
        const expected = [...keys].sort(byCodePoint).map((k) => `${JSON.stringify(k)}:${value[k]}`);
        assert.equal(canonicalJson(value), `{${expected.join(',')}}`);
        for (const a of keys) for (const b of keys) assert.equal(Math.sign(compareCodePoints(a, b)), Math.sign(byCodePoint(a, b)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('prints every finite number as JSON.stringify does, -0 as 0', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        assert.equal(canonicalJson(n), JSON.stringify(n));
        assert.equal(canonicalJson([n]), `[${JSON.stringify(n)}]`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.equal(canonicalJson(-0), '0');
  });

  it('accepts nesting up to MAX_CANONICAL_DEPTH and refuses deeper nesting with the documented TypeError, whatever the stack size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.boolean(), (depth, asObjects) => {
        const text = asObjects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
        const value: unknown = JSON.parse(text);
        if (depth <= MAX_CANONICAL_DEPTH) assert.equal(canonicalJson(value), text);
        else assert.throws(() => canonicalJson(value), (err: unknown) => err instanceof TypeError && /nested/.test(err.message));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  // The counterexample fast-check found: 10,000 levels of [] overflowed the
  // call stack, so canonicalJson threw a RangeError its documentation does not name.
  it('regression: 10,000 levels of nesting are refused with a TypeError, not a RangeError from the call stack', () => {
    const deep: unknown = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
    assert.throws(() => canonicalJson(deep), TypeError);
    assert.equal(tryCanonicalJson(deep), undefined);
  });
});

describe('canonicalJson regressions found by the properties', () => {
  // A lone surrogate is the code point D800–DFFF: it sorts before U+10000 (a
  // pair starting D800) and before E000, as Python's sort_keys sorts it.
  it('sorts a lone surrogate key by its own value, before U+10000 and before U+E000', () => {
    assert.equal(canonicalJson(JSON.parse('{"\\ud800\\udc00":1,"\\ud801":2}')), '{"\\ud801":2,"\u{10000}":1}');
    assert.equal(canonicalJson(JSON.parse('{"\\ue000":1,"\\udc00":2}')), '{"\\udc00":2,"\ue000":1}');
    assert.ok(compareCodePoints('\ud801', '\u{10000}') < 0);
    assert.ok(compareCodePoints('\ud800x', '\u{10000}') < 0);
    assert.ok(compareCodePoints('\uffff', '\u{10000}') < 0);
  });
});
