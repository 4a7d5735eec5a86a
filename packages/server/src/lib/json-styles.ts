/**
 * The ways common clients write the same JSON value, for telling an
 * integrator which one their signer used: the body was parsed and written
 * again between signing and sending, and these are the usual writers.
 * The canonical form is the signing package's (canonicalJson), not here.
 */

export interface JsonStyle {
  /** Names the writer in an explanation. */
  name: string;
  itemSeparator: string;
  keySeparator: string;
  /** Spaces per level; 0 writes everything on one line. */
  indent: number;
  sortKeys: boolean;
  /** Non-ASCII as \uXXXX. */
  asciiOnly: boolean;
  /** "/" as "\/". */
  escapeSlash: boolean;
}

const PLAIN = { itemSeparator: ',', keySeparator: ':', indent: 0, sortKeys: false, asciiOnly: false, escapeSlash: false };

export const JSON_STYLES = {
  compact: { ...PLAIN, name: "compact JSON (JSON.stringify(body), or json.dumps with separators=(',', ':'))" },
  pretty2: { ...PLAIN, name: 'JSON indented by 2 spaces (JSON.stringify(body, null, 2))', keySeparator: ': ', indent: 2 },
  pretty4: { ...PLAIN, name: 'JSON indented by 4 spaces (JSON.stringify(body, null, 4), json.dumps(body, indent=4))', keySeparator: ': ', indent: 4 },
  python: { ...PLAIN, name: "Python's json.dumps(body) default (', ' and ': ' separators, non-ASCII as \\uXXXX)", itemSeparator: ', ', keySeparator: ': ', asciiOnly: true },
  pythonSorted: { ...PLAIN, name: "Python's json.dumps(body, sort_keys=True) (keys sorted, ', ' and ': ' separators, non-ASCII as \\uXXXX)", itemSeparator: ', ', keySeparator: ': ', asciiOnly: true, sortKeys: true },
  php: { ...PLAIN, name: "PHP's json_encode($body) default (slashes as \\/, non-ASCII as \\uXXXX)", asciiOnly: true, escapeSlash: true },
} satisfies Record<string, JsonStyle>;

/** `value` (from JSON.parse) written in `style`. */
export function writeJson(value: unknown, style: JsonStyle): string {
  return write(value, style, 0);
}

function write(value: unknown, style: JsonStyle, depth: number): string {
  if (Array.isArray(value)) return wrap('[', value.map((v) => write(v, style, depth + 1)), ']', style, depth);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = style.sortKeys ? Object.keys(record).sort() : Object.keys(record);
    return wrap('{', keys.map((k) => string(k, style) + style.keySeparator + write(record[k], style, depth + 1)), '}', style, depth);
  }
  if (typeof value === 'string') return string(value, style);
  return JSON.stringify(value);
}

function wrap(open: string, items: string[], close: string, style: JsonStyle, depth: number): string {
  if (items.length === 0) return open + close;
  if (style.indent === 0) return open + items.join(style.itemSeparator) + close;
  const pad = (n: number) => ' '.repeat(style.indent * n);
  return `${open}\n${items.map((i) => pad(depth + 1) + i).join(',\n')}\n${pad(depth)}${close}`;
}

function string(text: string, style: JsonStyle): string {
  let out = JSON.stringify(text);
  if (style.asciiOnly) out = out.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // "/" appears only inside strings in JSON, so replacing it everywhere in a string literal is exact.
  if (style.escapeSlash) out = out.replaceAll('/', '\\/');
  return out;
}
