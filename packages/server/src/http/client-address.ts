import { normalizeIp } from '../lib/ip-allowlist.js';
import { ClientAddressConfigError, createTrustedPeerCheck } from './trusted-peer.js';

export interface ClientAddressOptions {
  /** IPs or CIDRs of the reverse proxies in front of the gateway; empty trusts none and ignores X-Forwarded-For. */
  trustedProxies: readonly string[];
}

export { ClientAddressConfigError };

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
  const isTrusted = createTrustedPeerCheck(options.trustedProxies);

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
