import { IpAllowlist, normalizeIp, parseAllowlistEntry } from '../lib/ip-allowlist.js';

export interface ClientAddressOptions {
  /** IPs or CIDRs of the reverse proxies in front of the gateway; empty trusts none and ignores X-Forwarded-For. */
  trustedProxies: readonly string[];
}

export class ClientAddressConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientAddressConfigError';
  }
}

/** What the resolver returns when the socket has no usable address: never allowed by a non-empty IP allowlist. */
const UNKNOWN = 'unknown';

export type ClientAddressResolver = (socketAddress: string | undefined, forwardedFor: string | string[] | undefined) => string;

// A port is accepted only where it cannot be mistaken for part of the
// address: after a dotted IPv4 address, or after a bracketed IPv6 address.
// "2001:db8::1:443" is a valid IPv6 address, so an unbracketed IPv6 hop is
// always read as an address.
const IPV4_WITH_PORT = /^([0-9.]+):([0-9]{1,5})$/;
const BRACKETED_IPV6 = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?$/;

/** One X-Forwarded-For hop, normalised; undefined when it is not an address we can read. */
function parseHop(hop: string): string | undefined {
  const withPort = IPV4_WITH_PORT.exec(hop) ?? BRACKETED_IPV6.exec(hop);
  if (!withPort) return normalizeIp(hop);
  const [, address = '', port] = withPort;
  if (port !== undefined && Number(port) > 65535) return undefined;
  // "[1.2.3.4]" is not a form any proxy writes; refuse rather than guess.
  if (hop.startsWith('[') && !address.includes(':')) return undefined;
  return normalizeIp(address);
}

function validateTrustedProxies(trustedProxies: readonly string[]): IpAllowlist {
  if (!Array.isArray(trustedProxies)) {
    throw new ClientAddressConfigError('trustedProxies must be a list of reverse proxy addresses or CIDR ranges, e.g. ["10.0.0.0/8"]; use [] if nothing sits in front of the gateway.');
  }
  for (const entry of trustedProxies) {
    const result = parseAllowlistEntry(entry);
    if (!result.ok) {
      throw new ClientAddressConfigError(
        `trustedProxies entry ${JSON.stringify(entry)} ${result.reason}. List each reverse proxy in front of the gateway as an address ("10.0.0.2") or a CIDR range ("10.0.0.0/8").`,
      );
    }
    // Trusting every address makes every X-Forwarded-For hop trusted, so the
    // leftmost one (written by the client) would be taken as the client's
    // address: anyone could pick the address our allowlists see.
    if (result.normalized.endsWith('/0')) {
      throw new ClientAddressConfigError(
        `trustedProxies entry ${JSON.stringify(entry)} trusts every address, which lets any client choose its own address through X-Forwarded-For. List only the addresses or ranges of your own reverse proxies.`,
      );
    }
  }
  return new IpAllowlist(trustedProxies);
}

/**
 * Builds the function that decides which address a request came from.
 * Validates `trustedProxies` once, at start-up.
 *
 * The socket peer is the only address nobody can forge. X-Forwarded-For is
 * read only when that peer is one of our proxies, and then from the right:
 * each proxy appends the address it received from, so the rightmost entries
 * are written by proxies we trust and everything left of the first
 * untrusted one was written by the client and may be a lie. A hop we cannot
 * parse ends the walk at the last trusted hop, because nothing written
 * before it can be trusted either. The result is always normalised
 * (IPv4-mapped becomes IPv4), or "unknown" when the socket has no usable
 * address.
 */
export function createClientAddressResolver(options: ClientAddressOptions): ClientAddressResolver {
  const trusted = validateTrustedProxies(options.trustedProxies);
  // An empty IpAllowlist allows everything; an empty proxy list trusts nothing.
  const isTrusted = (address: string) => !trusted.isEmpty && trusted.allows(address);

  return function resolveClientAddress(socketAddress, forwardedFor) {
    const peer = socketAddress === undefined ? undefined : normalizeIp(socketAddress);
    if (peer === undefined) return UNKNOWN;
    if (!isTrusted(peer) || forwardedFor === undefined) return peer;

    // Several X-Forwarded-For headers are one list joined with "," in order
    // (RFC 9110 §5.3); empty list elements are ignored, as §5.6.1 requires.
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    const hops = header.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const text = (hops[i] ?? '').trim();
      if (text === '') continue;
      const hop = parseHop(text);
      if (hop === undefined) return client;
      client = hop;
      if (!isTrusted(hop)) return client;
    }
    // Every hop was one of our proxies: the leftmost is as far back as we can see.
    return client;
  };
}
