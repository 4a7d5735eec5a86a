/**
 * The well-formed values of one cookie in a Cookie header. There may be
 * several with one name (one planted for a parent domain by a sibling
 * site): all are returned, for the caller to try each, because a planted
 * value only fails its check while preferring one could let it lock the
 * user out. Values not matching `shape` are skipped; at most `max` are read,
 * since a browser holds one or two and more is someone stuffing the header
 * to make us check in a loop.
 */
export function readCookieValues(header: string | undefined, name: string, shape: RegExp, max = 4): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (shape.test(value)) values.push(value);
    if (values.length === max) break;
  }
  return values;
}
