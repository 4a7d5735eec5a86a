import { utf8Text } from './data-option.js';

/**
 * Signed strings as text a person can compare: a JSON string literal, so a
 * newline shows as \n, a quote as \", and every character is recoverable;
 * characters that print as nothing (no-break and zero-width spaces, the byte
 * order mark, direction marks) as \uXXXX; bytes that are not UTF-8 as \xHH.
 * Invisible differences are the ones that cost integrators days.
 */
const INVISIBLE = /[\u007f-\u00a0\u00ad\u061c\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]/g;

export function visible(bytes: Uint8Array): string {
  const text = utf8Text(bytes);
  if (text !== undefined) return JSON.stringify(text).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  let out = '"';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    out += byte >= 0x20 && byte < 0x7f ? (c === '"' || c === '\\' ? `\\${c}` : c) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/**
 * Two signed strings, one under the other, cut to `width` characters around
 * their first difference, with a caret under it. Empty when they are equal.
 */
export function differenceLines(labelled: readonly [[string, Uint8Array], [string, Uint8Array]], width = 96): string[] {
  const [[labelA, a], [labelB, b]] = labelled;
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  if (at === a.length && at === b.length) return [];
  // Back to the start of a UTF-8 character, so the common part is whole characters.
  while (at > 0 && ((a[at] ?? 0) & 0xc0) === 0x80) at--;
  const caret = visible(a.subarray(0, at)).length - 1;
  const start = Math.max(0, caret - Math.floor(width / 2));
  const cut = (text: string) => (start > 0 ? '…' : '') + text.slice(start, start + width) + (text.length > start + width ? '…' : '');
  const pad = Math.max(labelA.length, labelB.length);
  return [
    `${labelA.padEnd(pad)}  ${cut(visible(a))}`,
    `${labelB.padEnd(pad)}  ${cut(visible(b))}`,
    `${' '.repeat(pad + 2 + caret - start + (start > 0 ? 1 : 0))}^ first difference, at byte ${at}`,
  ];
}
