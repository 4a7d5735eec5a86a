import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/**
 * Where an endpoint may point. A sandbox merchant develops against
 * http://localhost, so loopback is allowed there; nothing else changes.
 */
export type EndpointPolicy = 'production' | 'sandbox';

export type EndpointRefusalCode = 'invalid_url' | 'insecure_scheme' | 'forbidden_address' | 'credentials_in_url';

export type EndpointCheck = { ok: true; url: URL } | { ok: false; code: EndpointRefusalCode; message: string };

// Browsers and most proxies cap URLs near here; a longer webhook URL is a
// mistake or an attempt to bloat every delivery row that repeats it.
const MAX_URL_LENGTH = 2048;

// ipaddr.js calls any unlisted IPv6 address unicast, including the
// deprecated IPv4-compatible ::a.b.c.d, which some stacks still route to the
// embedded IPv4 host. Every public IPv6 address assigned today is in 2000::/3.
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/** Why each non-unicast class is refused, in words a merchant can act on. */
const RANGE_REASONS: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8 or ::), which reaches this server itself',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16 or fe80::/10), where cloud metadata services such as 169.254.169.254 live',
  loopback: 'a loopback address (127.0.0.0/8 or ::1), which reaches this server itself',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private network address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)',
  uniqueLocal: 'a unique-local IPv6 address (fc00::/7), the IPv6 private range',
  // These embed an IPv4 address that a relay or translator would reach for
  // us. Extracting and checking it soundly means knowing which translator
  // the network uses, so the whole prefix is refused instead.
  '6to4': 'a 6to4 address (2002::/16), which tunnels to an embedded IPv4 address',
  teredo: 'a Teredo address (2001::/32), which tunnels to an embedded IPv4 address',
  rfc6052: 'a NAT64 address (64:ff9b::/96), which translates to an embedded IPv4 address',
  rfc6145: 'an IPv4-translated address (::ffff:0:0:0/96)',
};

/**
 * Why an address must not receive a webhook, or undefined when it may.
 *
 * Only ipaddr.js's 'unicast' class passes: everything it names (loopback,
 * private, link-local, reserved, documentation, benchmarking, ...) is refused,
 * so a class we forgot to list is refused too.
 */
export function addressRefusal(address: string, policy: EndpointPolicy): string | undefined {
  // Node's isIP refuses the spellings that stacks disagree on (octal "0177.0.0.1",
  // hex, short "127.1"), which ipaddr.js would otherwise read one way while a
  // resolver or socket reads another. A zone ("fe80::1%eth0") names an
  // interface of this machine, never a public host.
  if (isIP(address) === 0 || address.includes('%')) return 'not a plain IPv4 or IPv6 address';
  const parsed = ipaddr.parse(address);
  // ::ffff:a.b.c.d is the IPv4 host itself seen through an IPv6 socket.
  const ip = parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() ? parsed.toIPv4Address() : parsed;
  const range = ip.range();
  if (range === 'loopback' && policy === 'sandbox') return undefined;
  if (range !== 'unicast') return RANGE_REASONS[range] ?? `a reserved address (${range})`;
  if (ip instanceof ipaddr.IPv6 && !ip.match(GLOBAL_UNICAST_V6)) return 'an IPv6 address outside the global unicast range 2000::/3';
  return undefined;
}

/** True when a webhook must not be sent to this address under the policy. */
export function isForbiddenAddress(address: string, policy: EndpointPolicy): boolean {
  return addressRefusal(address, policy) !== undefined;
}

/** The hostname of a URL as a bare address when it is an IP literal ("[::1]" → "::1"). */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? undefined : host;
}

/** RFC 6761 reserves these names for this machine, whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * The registration-time check of a webhook endpoint URL. A hostname is not
 * resolved here (DNS can change before delivery); postWebhook checks the
 * resolved addresses again at every delivery.
 */
export function checkEndpointUrl(url: string, policy: EndpointPolicy): EndpointCheck {
  if (url.length > MAX_URL_LENGTH) {
    return { ok: false, code: 'invalid_url', message: `The endpoint URL is ${url.length} characters long; the limit is ${MAX_URL_LENGTH}.` };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, code: 'invalid_url', message: 'The endpoint is not an absolute URL. Give the full address, such as "https://example.com/webhooks".' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { ok: false, code: 'invalid_url', message: `The endpoint URL uses "${parsed.protocol}"; webhooks are sent over https:// only.` };
  }
  if (parsed.protocol === 'http:' && policy === 'production') {
    return {
      ok: false,
      code: 'insecure_scheme',
      message: 'Live webhook endpoints must use https://, so events and signatures cannot be read or altered in transit; http:// is accepted only in sandbox mode.',
    };
  }
  // Never echo the URL here: the point is that it holds a secret.
  if (parsed.username !== '' || parsed.password !== '') {
    return {
      ok: false,
      code: 'credentials_in_url',
      message: 'The endpoint URL contains a user name or password, which would be stored and shown in delivery logs. Remove it and verify the webhook signature instead.',
    };
  }
  if (parsed.hash !== '') {
    return { ok: false, code: 'invalid_url', message: 'The endpoint URL has a "#" fragment, which is never sent to the server. Remove it.' };
  }
  const literal = literalAddress(parsed);
  if (literal !== undefined) {
    // The WHATWG parser has already rewritten "2130706433", "0x7f.1" and
    // "0177.0.0.1" as 127.0.0.1, so the address checked is the one dialled.
    const reason = addressRefusal(literal, policy);
    if (reason !== undefined) {
      return { ok: false, code: 'forbidden_address', message: `The endpoint host ${parsed.hostname} is ${reason}. Webhooks are delivered only to public internet addresses.` };
    }
  } else if (policy === 'production' && isLocalhostName(parsed.hostname)) {
    return { ok: false, code: 'forbidden_address', message: `The endpoint host ${parsed.hostname} is this machine. Live webhooks are delivered only to public internet addresses; use a sandbox endpoint for local development.` };
  }
  return { ok: true, url: parsed };
}
