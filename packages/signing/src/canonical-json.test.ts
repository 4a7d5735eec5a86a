import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom as random } from './seeded-random.fixture.js';
import { readFileSync } from 'node:fs';
import { canonicalJson, compareCodePoints } from './canonical-json.js';

interface CanonicalVector {
  name: string;
  json: string;
  canonical: string;
}
const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  canonical: CanonicalVector[];
};


/** Well-formed strings drawn from the ranges where sorting and escaping go wrong. */
function randomString(rnd: () => number): string {
  const ranges: Array<[number, number]> = [
    [0x00, 0x1f], // controls: escaped
    [0x20, 0x7e], // ASCII, including " \ /
    [0x7f, 0x7f],
    [0xe0, 0xff],
    [0x2028, 0x2029],
    [0xe000, 0xffff], // above the surrogates in UTF-16, below the astral plane in code points
    [0x10000, 0x10ffff], // astral: surrogate pairs in UTF-16
  ];
  let s = '';
  const length = Math.floor(rnd() * 6);
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ranges[Math.floor(rnd() * ranges.length)]!;
    s += String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo + 1)));
  }
  return s;
}

function randomJson(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 4 : 6));
  switch (pick) {
    case 0:
      return randomString(rnd);
    case 1: {
      const numbers = [0, -0, 1, -1, 105, 0.1, 1e21, 1e-7, 123.456, -2.5e-3, 9007199254740991, rnd() * 1e6];
      return numbers[Math.floor(rnd() * numbers.length)];
    }
    case 2:
      return rnd() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      const size = Math.floor(rnd() * 5);
      for (let i = 0; i < size; i++) object[randomString(rnd)] = randomJson(rnd, depth + 1);
      return object;
    }
  }
}

/** A second, deliberately naive implementation: sort by UTF-8 bytes, then let JSON.stringify print. */
function sortedByUtf8(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedByUtf8);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // A Map keeps insertion order even for integer-like keys, unlike a plain object.
    return new Map(keys.map((k) => [k, sortedByUtf8((value as Record<string, unknown>)[k])]));
  }
  return value;
}
function naiveCanonical(value: unknown): string {
  const sorted = sortedByUtf8(value);
  const print = (v: unknown): string => {
    if (v instanceof Map) return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}:${print(x)}`).join(',')}}`;
    if (Array.isArray(v)) return `[${v.map(print).join(',')}]`;
    return JSON.stringify(v);
  };
  return print(sorted);
}

describe('canonicalJson', () => {
  describe('the committed vectors', () => {
    for (const vector of vectors.canonical) {
      it(`gives the expected output: ${vector.name}`, () => {
        assert.equal(canonicalJson(JSON.parse(vector.json)), vector.canonical);
      });
    }

    it('include an astral-plane key whose code-point order differs from UTF-16 order', () => {
      const differs = vectors.canonical.some((v) => {
        const parsed: unknown = JSON.parse(v.json);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
        const keys = Object.keys(parsed);
        return [...keys].sort().join('\0') !== [...keys].sort(compareCodePoints).join('\0') && keys.some((k) => /[\u{10000}-\u{10FFFF}]/u.test(k));
      });
      assert.ok(differs);
    });
  });

  it('sorts keys by Unicode code point, so U+FF61 comes before U+1F600', () => {
    assert.equal(canonicalJson({ '\u{1F600}': 1, '\uFF61': 2 }), '{"\uFF61":2,"\u{1F600}":1}');
    // JavaScript's default sort would put the astral key first:
    assert.deepEqual(['\uFF61', '\u{1F600}'].sort(), ['\u{1F600}', '\uFF61']);
  });

  it('orders keys exactly as their UTF-8 bytes order (what PHP and Python sort by)', () => {
    const rnd = random(7);
    for (let i = 0; i < 5000; i++) {
      const a = randomString(rnd);
      const b = randomString(rnd);
      const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.equal(Math.sign(compareCodePoints(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it('sorts keys at every depth, including inside arrays', () => {
    assert.equal(canonicalJson({ b: [{ y: 1, x: 2 }], a: { d: { f: 1, e: 2 }, c: 3 } }), '{"a":{"c":3,"d":{"e":2,"f":1}},"b":[{"x":2,"y":1}]}');
  });

  it('sorts numeric-looking keys as strings, not in JavaScript property order', () => {
    assert.equal(canonicalJson(JSON.parse('{"10":1,"9":2,"1":3}')), '{"1":3,"10":1,"9":2}');
  });

  it('keeps array order', () => {
    assert.equal(canonicalJson([3, 1, 2, 'b', 'a']), '[3,1,2,"b","a"]');
  });

  it('prints numbers as JavaScript prints them', () => {
    assert.equal(canonicalJson(JSON.parse('[105.00,1e2,-0,0.1,1e21,1E-7,6116229263036,-12.50]')), '[105,100,0,0.1,1e+21,1e-7,6116229263036,-12.5]');
  });

  it('leaves slashes and non-ASCII unescaped', () => {
    assert.equal(canonicalJson(JSON.parse('{"u":"https:\\/\\/x.example\\/a","n":"\\u20b9 caf\\u00e9 \\ud83d\\ude00"}')), '{"n":"₹ café 😀","u":"https://x.example/a"}');
  });

  it('escapes strings exactly as JSON.stringify does, including lone surrogates', () => {
    const s = 'q"b\\\b\f\n\r\t\u0000\u001f\u007f\u2028\u2029\ud800x\udc00';
    assert.equal(canonicalJson({ s }), `{"s":${JSON.stringify(s)}}`);
  });

  it('is compact: no whitespace outside strings', () => {
    assert.equal(canonicalJson(JSON.parse('{ "a" : [ 1 , { "b" : null } ] }')), '{"a":[1,{"b":null}]}');
  });

  it('keeps empty objects and arrays, booleans and null', () => {
    assert.equal(canonicalJson({ o: {}, a: [], t: true, f: false, n: null }), '{"a":[],"f":false,"n":null,"o":{},"t":true}');
  });

  it('serialises top-level scalars', () => {
    assert.equal(canonicalJson('a/b'), '"a/b"');
    assert.equal(canonicalJson(105.0), '105');
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson(false), 'false');
  });

  it('keeps a "__proto__" key that JSON.parse created as an own property', () => {
    assert.equal(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}')), '{"__proto__":{"x":1},"b":1}');
  });

  it('agrees with an independent implementation (UTF-8 byte sort + JSON.stringify) on random JSON', () => {
    const rnd = random(42);
    for (let i = 0; i < 2000; i++) {
      const value = randomJson(rnd);
      assert.equal(canonicalJson(value), naiveCanonical(value));
    }
  });

  it('is a fixed point: canonicalising canonical JSON changes nothing, and it parses back to the same value', () => {
    const rnd = random(1234);
    for (let i = 0; i < 1000; i++) {
      const value = randomJson(rnd);
      const once = canonicalJson(value);
      assert.equal(canonicalJson(JSON.parse(once)), once);
      assert.deepEqual(JSON.parse(once), JSON.parse(JSON.stringify(value)));
    }
  });

  it('leaves out object properties whose value is undefined and prints undefined array elements as null, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(canonicalJson([undefined, 1]), '[null,1]');
  });

  it('honours toJSON, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ at: new Date(Date.UTC(2026, 4, 13)) }), '{"at":"2026-05-13T00:00:00.000Z"}');
  });

  it('allows the same object to appear twice when there is no cycle', () => {
    const shared = { z: 1, a: 2 };
    assert.equal(canonicalJson({ x: shared, y: [shared] }), '{"x":{"a":2,"z":1},"y":[{"a":2,"z":1}]}');
  });

  describe('refuses, with a TypeError, what JSON cannot represent', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    const cyclicArray: unknown[] = [];
    cyclicArray.push([cyclicArray]);
    const cases: Array<[string, unknown]> = [
      ['undefined at the top level', undefined],
      ['a function', { f: () => 1 }],
      ['a function at the top level', () => 1],
      ['a symbol', [Symbol('s')]],
      ['a bigint', { amount: 105n }],
      ['NaN', { n: Number.NaN }],
      ['Infinity', [Number.POSITIVE_INFINITY]],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['a cyclic object', cyclic],
      ['a cyclic array', cyclicArray],
    ];
    for (const [name, value] of cases) {
      it(`refuses ${name}`, () => {
        assert.throws(() => canonicalJson(value), TypeError);
      });
    }

    it('names where the bad value is', () => {
      assert.throws(() => canonicalJson({ order: { amount: 1n } }), /\["order"\]\["amount"\].*bigint/);
    });
  });
});
