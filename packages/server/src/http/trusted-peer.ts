import { IpAllowlist, parseAllowlistEntry } from '../lib/ip-allowlist.js';

/** A trusted-proxy list that cannot be used; the message says what to fix. */
export class ClientAddressConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientAddressConfigError';
  }
}

/** True when the socket peer is one of our reverse proxies; always false for an empty list. */
export type TrustedPeerCheck = (socketAddress: string | undefined) => boolean;

/**
 * Builds the test "is the socket peer one of our reverse proxies?" that
 * decides whether any X-Forwarded-* header is believed. It matches the
 * client-address resolver's rule: only the socket peer counts (nobody can
 * forge it), an empty list trusts nobody, and a list that trusts every
 * address is refused, because then any client could write the headers we
 * believe. Validates `trustedProxies` once, at start-up.
 */
export function createTrustedPeerCheck(trustedProxies: readonly string[]): TrustedPeerCheck {
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
    if (result.normalized.endsWith('/0')) {
      throw new ClientAddressConfigError(
        // Trusting every address makes every X-Forwarded-* hop trusted, so the leftmost one
        // (written by the client) would be believed: anyone could pick their own address.
        `trustedProxies entry ${JSON.stringify(entry)} trusts every address, which lets any client choose its own address through X-Forwarded-For. List only the addresses or ranges of your own reverse proxies.`,
      );
    }
  }
  // An empty IpAllowlist allows everything; an empty proxy list trusts nothing.
  const trusted = trustedProxies.length === 0 ? undefined : new IpAllowlist(trustedProxies);
  return function isTrustedPeer(socketAddress) {
    // allows() normalises (IPv4-mapped IPv6 matches IPv4 entries) and caches its answers.
    return trusted !== undefined && socketAddress !== undefined && trusted.allows(socketAddress);
  };
}
