/**
 * The part of RFC 8941 (Structured Field Values for HTTP) that HTTP Message
 * Signatures need: parsing a Dictionary (Signature-Input, Signature,
 * Content-Digest) and serialising strings, inner lists and parameters.
 *
 * Strict on purpose: a value that is not exactly a structured field is
 * refused (undefined), never guessed at, because a signature verifier that
 * is lenient about what it parses can be made to verify something other than
 * what was signed. Decimals are parsed (a Dictionary may hold them) but
 * never written.
 *
 * No Buffer: part of `@tijori/signing/messages`.
 */
import { fromCanonicalBase64, toBase64 } from './bytes.js';

export type BareItem =
  | { type: 'integer'; value: number }
  | { type: 'decimal'; value: number }
  | { type: 'string'; value: string }
  | { type: 'token'; value: string }
  | { type: 'binary'; value: Uint8Array }
  | { type: 'boolean'; value: boolean };

export type Parameters = ReadonlyArray<readonly [key: string, value: BareItem]>;

export interface Item {
  item: BareItem;
  params: Parameters;
}

export interface InnerList {
  list: readonly Item[];
  params: Parameters;
}

/** Members in the order received; a key given twice keeps its last value (RFC 8941 §4.2.2). */
export type Dictionary = ReadonlyMap<string, Item | InnerList>;

export function isInnerList(member: Item | InnerList): member is InnerList {
  return 'list' in member;
}

/** The value of a parameter, or undefined. */
export function param(params: Parameters, key: string): BareItem | undefined {
  let found: BareItem | undefined;
  for (const [k, v] of params) if (k === key) found = v;
  return found;
}

class ParseError extends Error {}

/**
 * Parses a Dictionary field value (several header lines joined with ", ").
 * Returns undefined if any part of it is not valid RFC 8941 syntax.
 */
export function parseDictionary(text: string): Dictionary | undefined {
  try {
    return new Parser(text).dictionary();
  } catch (err) {
    if (err instanceof ParseError) return undefined;
    throw err;
  }
}

const KEY_START = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;
const TOKEN_START = /[A-Za-z*]/;
// tchar (RFC 9110) plus ":" and "/".
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const BASE64_CHAR = /[A-Za-z0-9+/=]/;
// RFC 8941 integers and decimals: at most 15 integer digits.
const MAX_INTEGER = 999_999_999_999_999;

class Parser {
  #pos = 0;
  constructor(private readonly s: string) {}

  dictionary(): Map<string, Item | InnerList> {
    const out = new Map<string, Item | InnerList>();
    this.#skip(/[ \t]/); // leading SP and OWS (fields are joined with ", ")
    if (this.#done()) return out;
    for (;;) {
      const key = this.#key();
      let member: Item | InnerList;
      if (this.#peek() === '=') {
        this.#pos++;
        member = this.#peek() === '(' ? this.#innerList() : this.#item();
      } else {
        member = { item: { type: 'boolean', value: true }, params: this.#params() };
      }
      out.delete(key); // the last value wins, and takes the last position
      out.set(key, member);
      this.#skip(/[ \t]/);
      if (this.#done()) return out;
      this.#expect(',');
      this.#skip(/[ \t]/);
      if (this.#done()) throw new ParseError('trailing comma');
    }
  }

  #innerList(): InnerList {
    this.#expect('(');
    const list: Item[] = [];
    for (;;) {
      this.#skip(/ /);
      if (this.#peek() === ')') {
        this.#pos++;
        return { list, params: this.#params() };
      }
      list.push(this.#item());
      const next = this.#peek();
      if (next !== ' ' && next !== ')') throw new ParseError('inner list items are separated by spaces');
    }
  }

  #item(): Item {
    return { item: this.#bareItem(), params: this.#params() };
  }

  #params(): Array<[string, BareItem]> {
    const params: Array<[string, BareItem]> = [];
    while (this.#peek() === ';') {
      this.#pos++;
      this.#skip(/ /);
      const key = this.#key();
      let value: BareItem = { type: 'boolean', value: true };
      if (this.#peek() === '=') {
        this.#pos++;
        value = this.#bareItem();
      }
      const existing = params.findIndex(([k]) => k === key);
      if (existing >= 0) params.splice(existing, 1);
      params.push([key, value]);
    }
    return params;
  }

  #bareItem(): BareItem {
    const c = this.#peek();
    if (c === '"') return this.#string();
    if (c === ':') return this.#binary();
    if (c === '?') return this.#boolean();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number();
    if (c !== undefined && TOKEN_START.test(c)) return this.#token();
    throw new ParseError('not a bare item');
  }

  #string(): BareItem {
    this.#expect('"');
    let value = '';
    for (;;) {
      const c = this.s[this.#pos++];
      if (c === undefined) throw new ParseError('unterminated string');
      if (c === '\\') {
        const escaped = this.s[this.#pos++];
        if (escaped !== '"' && escaped !== '\\') throw new ParseError('bad escape');
        value += escaped;
      } else if (c === '"') {
        return { type: 'string', value };
      } else if (c < ' ' || c > '~') {
        throw new ParseError('strings are printable ASCII');
      } else {
        value += c;
      }
    }
  }

  #binary(): BareItem {
    this.#expect(':');
    const start = this.#pos;
    while (this.#peek() !== undefined && BASE64_CHAR.test(this.#peek() as string)) this.#pos++;
    const encoded = this.s.slice(start, this.#pos);
    this.#expect(':');
    // Canonical padded base64 only: one value, one spelling.
    const value = fromCanonicalBase64(encoded);
    if (value === undefined) throw new ParseError('byte sequences are padded base64');
    return { type: 'binary', value };
  }

  #boolean(): BareItem {
    this.#expect('?');
    const c = this.s[this.#pos++];
    if (c !== '0' && c !== '1') throw new ParseError('booleans are ?0 or ?1');
    return { type: 'boolean', value: c === '1' };
  }

  #number(): BareItem {
    const match = /^-?([0-9]{1,15})(\.[0-9]{1,3})?/.exec(this.s.slice(this.#pos));
    if (!match) throw new ParseError('not a number');
    if (match[2] !== undefined && match[1]!.length > 12) throw new ParseError('decimals have at most 12 integer digits');
    this.#pos += match[0].length;
    const value = Number(match[0]);
    if (match[2] === undefined) {
      if (Math.abs(value) > MAX_INTEGER) throw new ParseError('integer out of range');
      return { type: 'integer', value };
    }
    return { type: 'decimal', value };
  }

  #token(): BareItem {
    const start = this.#pos;
    this.#pos++;
    while (this.#peek() !== undefined && TOKEN_CHAR.test(this.#peek() as string)) this.#pos++;
    return { type: 'token', value: this.s.slice(start, this.#pos) };
  }

  #key(): string {
    const start = this.#pos;
    const c = this.#peek();
    if (c === undefined || !KEY_START.test(c)) throw new ParseError('keys start with a lower-case letter or *');
    this.#pos++;
    while (this.#peek() !== undefined && KEY_CHAR.test(this.#peek() as string)) this.#pos++;
    return this.s.slice(start, this.#pos);
  }

  #peek(): string | undefined {
    return this.s[this.#pos];
  }

  #done(): boolean {
    return this.#pos >= this.s.length;
  }

  #skip(chars: RegExp): void {
    while (this.#peek() !== undefined && chars.test(this.#peek() as string)) this.#pos++;
  }

  #expect(c: string): void {
    if (this.s[this.#pos] !== c) throw new ParseError(`expected ${c}`);
    this.#pos++;
  }
}

/** An sf-string: printable ASCII in quotes, with `"` and `\` escaped. Throws TypeError on anything else (programmer error). */
export function serializeString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError('a structured-field string holds printable ASCII only');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A bare item as RFC 8941 §4.1 writes it. */
export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      if (!Number.isInteger(item.value) || Math.abs(item.value) > MAX_INTEGER) throw new TypeError('a structured-field integer has at most 15 digits');
      return String(item.value);
    case 'decimal':
      // Nothing here signs a decimal; RFC 8941's rounding rules are not worth carrying for it.
      throw new TypeError('decimals are parsed but not written here');
    case 'string':
      return serializeString(item.value);
    case 'token':
      if (!/^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(item.value)) throw new TypeError('not a structured-field token');
      return item.value;
    case 'binary':
      return `:${toBase64(item.value)}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}

/** Parameters: `;key=value`, and a true boolean as `;key` alone. */
export function serializeParams(params: Parameters): string {
  let out = '';
  for (const [key, value] of params) {
    if (!/^[a-z*][a-z0-9_\-.*]*$/.test(key)) throw new TypeError(`"${key}" is not a structured-field key`);
    out += value.type === 'boolean' && value.value ? `;${key}` : `;${key}=${serializeBareItem(value)}`;
  }
  return out;
}

/** An inner list with its parameters, e.g. `("@status" "content-digest");created=1`. */
export function serializeInnerList(list: InnerList): string {
  return `(${list.list.map((i) => serializeBareItem(i.item) + serializeParams(i.params)).join(' ')})${serializeParams(list.params)}`;
}
