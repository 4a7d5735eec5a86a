import { BlockList, isIPv4, isIPv6 } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
interface Ip {
  family: Family;
  bytes: number[];
}

interface Range extends Ip {
  prefix: number;
}

const FULL: Record<Family, number> = { ipv4: 32, ipv6: 128 };
const EXAMPLES = 'such as "203.0.113.7", "203.0.113.0/24" or "2001:db8::/32"';
// No sign, no leading zeros: "/024" or "/+8" is a typo, not a prefix length.
const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Reads an address into bytes. Node's isIP already refuses the ambiguous
 * IPv4 spellings (leading zeros that some stacks read as octal, hex, short
 * forms), so only what it accepts is parsed here.
 */
function parseIp(text: string): Ip | undefined {
  if (isIPv4(text)) return { family: 'ipv4', bytes: text.split('.').map(Number) };
  // Node accepts a zone ("fe80::1%eth0"), but a zone names an interface of
  // this machine, not a host: the same text means different peers on
  // different interfaces, so it has no place in a canonical address.
  if (text.includes('%') || !isIPv6(text)) return undefined;
  return { family: 'ipv6', bytes: ipv6Bytes(text) };
}

/** Expands text that isIPv6 accepted (possibly with "::" and a dotted IPv4 tail) into 16 bytes. */
function ipv6Bytes(text: string): number[] {
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    hex = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = hex.split('::');
  const headWords = head === '' ? [] : head.split(':');
  const tailWords = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : new Array<string>(8 - headWords.length - tailWords.length).fill('0');
  return [...headWords, ...zeros, ...tailWords].flatMap((w) => {
    const n = parseInt(w, 16);
    return [n >> 8, n & 0xff];
  });
}

/** ::ffff:0:0/96 holds IPv4 addresses seen through an IPv6 socket: one host, two spellings. */
function isV4Mapped(ip: Ip): boolean {
  return ip.family === 'ipv6' && ip.bytes.slice(0, 10).every((b) => b === 0) && ip.bytes[10] === 0xff && ip.bytes[11] === 0xff;
}

function unmap(ip: Ip): Ip {
  return isV4Mapped(ip) ? { family: 'ipv4', bytes: ip.bytes.slice(12) } : ip;
}

/** RFC 5952 text: lower case, no leading zeros, the first longest run of two or more zero words as "::". */
function format(ip: Ip): string {
  if (ip.family === 'ipv4') return ip.bytes.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1; // a single zero word is written "0", never "::"
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function maskHostBits(ip: Ip, prefix: number): Ip {
  const bytes = ip.bytes.map((b, i) => {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return { family: ip.family, bytes };
}

type RangeParse = { ok: true; range: Range; normalized: string } | { ok: false; reason: string };

function parseRange(entry: string): RangeParse {
  if (typeof entry !== 'string') return { ok: false, reason: `must be a string ${EXAMPLES}` };
  if (entry === '') return { ok: false, reason: `is empty: write an address or range ${EXAMPLES}` };
  if (entry !== entry.trim()) return { ok: false, reason: 'has leading or trailing spaces: remove them' };
  const slash = entry.indexOf('/');
  const addressText = slash === -1 ? entry : entry.slice(0, slash);
  if (addressText.includes('%')) {
    return { ok: false, reason: 'has an IPv6 zone ("%eth0"): a zone names an interface of this server, not a client, so remove it' };
  }
  const parsed = parseIp(addressText);
  if (!parsed) return { ok: false, reason: `is not an IPv4 or IPv6 address or CIDR range ${EXAMPLES}` };

  let prefix = FULL[parsed.family];
  if (slash !== -1) {
    const prefixText = entry.slice(slash + 1);
    if (!PREFIX.test(prefixText)) {
      return { ok: false, reason: `has a prefix length "${prefixText}" that is not a whole number from 0 to ${FULL[parsed.family]}` };
    }
    prefix = Number(prefixText);
    if (prefix > FULL[parsed.family]) {
      const name = parsed.family === 'ipv4' ? 'IPv4' : 'IPv6';
      return { ok: false, reason: `has prefix length /${prefix}, but ${name} allows /0 to /${FULL[parsed.family]}` };
    }
  }

  // Host bits are accepted and cleared (203.0.113.9/24 -> 203.0.113.0/24)
  // rather than refused: the range the merchant meant is unambiguous, and
  // refusing would only make them do the arithmetic we can do for them.
  let range: Range = { ...maskHostBits(parsed, prefix), prefix };
  // An IPv4-mapped range is stored as the IPv4 range it covers, so
  // "::ffff:203.0.113.0/120" and "203.0.113.0/24" are the same entry.
  if (prefix >= 96 && isV4Mapped(range)) range = { ...unmap(range), prefix: prefix - 96 };
  // A full-length prefix is written as the bare address: one spelling per range.
  const normalized = range.prefix === FULL[range.family] ? format(range) : `${format(range)}/${range.prefix}`;
  return { ok: true, range, normalized };
}

export type AllowlistEntryParse = { ok: true; normalized: string } | { ok: false; reason: string };

/**
 * Validates and normalises one allowlist entry: an IPv4 or IPv6 address or
 * CIDR range. IPv4-mapped IPv6 becomes IPv4, IPv6 is lower-case and
 * compressed, host bits in a range are cleared, and a /32 or /128 becomes
 * the bare address. `reason` completes a sentence that starts with the
 * entry, e.g. `"10.0.0.0/33" has prefix length /33, but IPv4 allows /0 to /32`.
 */
export function parseAllowlistEntry(entry: string): AllowlistEntryParse {
  const result = parseRange(entry);
  return result.ok ? { ok: true, normalized: result.normalized } : result;
}

/**
 * Canonical form of a client address: IPv4-mapped IPv6 (::ffff:1.2.3.4)
 * becomes 1.2.3.4 and IPv6 is lower-case and compressed, so one host is
 * always one string in logs, usage counts and comparisons. Returns
 * undefined for anything that is not an IP, including zoned IPv6 and
 * addresses with spaces or ports.
 */
export function normalizeIp(address: string): string | undefined {
  if (typeof address !== 'string') return undefined;
  const ip = parseIp(address);
  return ip ? format(unmap(ip)) : undefined;
}

/** One API key's allowlist, checked with Node's BlockList (a range tree in C++, no dependency). */
export class IpAllowlist {
  /** The entries in normalised form, in the order given. */
  readonly entries: readonly string[];
  readonly #ranges = new BlockList();
  // A key's traffic comes from few addresses: remembering answers saves the
  // parse and range lookup (~2 µs) on nearly every request. Bounded: a spray of
  // addresses only clears it.
  readonly #answers = new Map<string, boolean>();

  /** Throws TypeError (programmer error) if an entry does not parse: callers validate with parseAllowlistEntry first. */
  constructor(entries: readonly string[]) {
    const normalized: string[] = [];
    for (const entry of entries) {
      const result = parseRange(entry);
      if (!result.ok) throw new TypeError(`IP allowlist entry ${JSON.stringify(entry)} ${result.reason}`);
      this.#ranges.addSubnet(format(result.range), result.range.prefix, result.range.family);
      normalized.push(result.normalized);
    }
    this.entries = Object.freeze(normalized);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /**
   * An empty list allows every address (no allowlist configured). A
   * non-empty list never allows something that is not an IP: an address we
   * cannot read is not one the merchant listed. IPv4-mapped clients match
   * IPv4 entries because both sides are normalised to IPv4 first.
   */
  allows(address: string): boolean {
    if (this.isEmpty) return true;
    if (typeof address !== 'string') return false;
    const known = this.#answers.get(address);
    if (known !== undefined) return known;
    const answer = this.#check(address);
    if (this.#answers.size >= 1024) this.#answers.clear();
    this.#answers.set(address, answer);
    return answer;
  }

  #check(address: string): boolean {
    const ip = parseIp(address);
    if (!ip) return false;
    const client = unmap(ip);
    return this.#ranges.check(format(client), client.family);
  }
}
