import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isInnerList, param, parseDictionary, serializeInnerList, serializeString, type InnerList } from './structured-fields.js';

describe('parseDictionary (RFC 8941 §4.2.2)', () => {
  it('reads a Signature-Input member: an inner list of strings with parameters', () => {
    const dict = parseDictionary('sig1=("@status" "content-digest" "x-signature";req);created=1618884473;keyid="k1";alg="ed25519"');
    assert.ok(dict);
    const member = dict.get('sig1');
    assert.ok(member && isInnerList(member));
    assert.deepEqual(member.list.map((i) => i.item), [
      { type: 'string', value: '@status' },
      { type: 'string', value: 'content-digest' },
      { type: 'string', value: 'x-signature' },
    ]);
    assert.deepEqual(member.list[2]?.params, [['req', { type: 'boolean', value: true }]]);
    assert.deepEqual(param(member.params, 'created'), { type: 'integer', value: 1618884473 });
    assert.deepEqual(param(member.params, 'keyid'), { type: 'string', value: 'k1' });
  });

  it('reads byte sequences, several members, and the whitespace of joined header lines', () => {
    const dict = parseDictionary('  sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,\tsha-512=:AA==:, flag, n=-7, d=1.5, t=tok/en:x, b=?0');
    assert.ok(dict);
    assert.deepEqual([...dict.keys()], ['sha-256', 'sha-512', 'flag', 'n', 'd', 't', 'b']);
    const sha = dict.get('sha-256');
    assert.ok(sha && !isInnerList(sha) && sha.item.type === 'binary');
    assert.equal(Buffer.from(sha.item.value).toString('base64'), 'X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=');
    assert.deepEqual(dict.get('flag'), { item: { type: 'boolean', value: true }, params: [] });
    assert.deepEqual(dict.get('n'), { item: { type: 'integer', value: -7 }, params: [] });
    assert.deepEqual(dict.get('d'), { item: { type: 'decimal', value: 1.5 }, params: [] });
    assert.deepEqual(dict.get('t'), { item: { type: 'token', value: 'tok/en:x' }, params: [] });
    assert.deepEqual(dict.get('b'), { item: { type: 'boolean', value: false }, params: [] });
  });

  it('unescapes strings and keeps the last value of a key given twice', () => {
    const dict = parseDictionary('a="x \\"q\\" \\\\ y", a="second"');
    assert.deepEqual(dict?.get('a'), { item: { type: 'string', value: 'second' }, params: [] });
    assert.deepEqual(parseDictionary('a="x \\"q\\" \\\\ y"')?.get('a'), { item: { type: 'string', value: 'x "q" \\ y' }, params: [] });
  });

  it('reads an empty field as an empty dictionary', () => {
    assert.equal(parseDictionary('')?.size, 0);
  });

  for (const [what, text] of [
    ['an upper-case key', 'Sig1=("@status")'],
    ['a trailing comma', 'a=1,'],
    ['an unterminated string', 'a="abc'],
    ['an unknown escape', 'a="\\n"'],
    ['a non-ASCII string', 'a="café"'],
    ['unpadded base64', 'a=:AA:'],
    ['base64url', 'a=:_-8=:'],
    ['an integer of 16 digits', 'a=1234567890123456'],
    ['inner-list items without a space', 'a=("x""y")'],
    ['garbage after a member', 'a=1 b=2'],
    ['a bad boolean', 'a=?2'],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.equal(parseDictionary(text), undefined);
    });
  }
});

describe('serialising', () => {
  it('writes an inner list with parameters in the form it is parsed from', () => {
    const text = '("@status" "content-digest" "x-signature";req);created=1795462062;keyid="gsk_1";alg="ed25519"';
    const member = parseDictionary(`l=${text}`)?.get('l') as InnerList;
    assert.equal(serializeInnerList(member), text);
  });

  it('writes a canonical form for a value received with extra spaces', () => {
    const member = parseDictionary('l=(  "a"   "b" );created=1')?.get('l') as InnerList;
    assert.equal(serializeInnerList(member), '("a" "b");created=1');
  });

  it('escapes quotes and backslashes in strings, and refuses what a string cannot hold', () => {
    assert.equal(serializeString('a"b\\c'), '"a\\"b\\\\c"');
    assert.throws(() => serializeString('line\nbreak'), TypeError);
    assert.throws(() => serializeString('café'), TypeError);
  });
});
