import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientAddressConfigError, createClientAddressResolver } from './client-address.js';

// Documentation ranges: 203.0.113.0/24 and 198.51.100.0/24 are the internet,
// 10.0.0.0/8 and fd00::/8 are our proxies.
const behindProxies = createClientAddressResolver({ trustedProxies: ['10.0.0.0/8', 'fd00::/8'] });
const direct = createClientAddressResolver({ trustedProxies: [] });

describe('createClientAddressResolver', () => {
  it('ignores X-Forwarded-For entirely when no proxy is trusted', () => {
    assert.equal(direct('203.0.113.7', '1.1.1.1'), '203.0.113.7');
    assert.equal(direct('203.0.113.7', ['1.1.1.1', '10.0.0.1']), '203.0.113.7');
    assert.equal(direct('10.0.0.1', '1.1.1.1'), '10.0.0.1');
  });

  it('uses the socket peer when there is no X-Forwarded-For', () => {
    assert.equal(behindProxies('10.0.0.5', undefined), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', ''), '10.0.0.5');
    assert.equal(behindProxies('203.0.113.7', undefined), '203.0.113.7');
  });

  it('takes the rightmost untrusted hop behind a trusted proxy', () => {
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7'), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', '198.51.100.1, 203.0.113.7'), '203.0.113.7');
  });

  it('is not fooled by a client that writes its own leftmost entry', () => {
    assert.equal(behindProxies('10.0.0.5', '1.1.1.1, 203.0.113.7'), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', '10.9.9.9, 203.0.113.7'), '203.0.113.7');
  });

  it('walks past a chain of trusted proxies', () => {
    assert.equal(behindProxies('10.0.0.5', '1.1.1.1, 203.0.113.7, 10.0.0.9'), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7,10.1.0.1,10.2.0.1'), '203.0.113.7');
  });

  it('takes the leftmost hop when every hop is a trusted proxy', () => {
    assert.equal(behindProxies('10.0.0.5', '10.0.0.3, 10.0.0.4'), '10.0.0.3');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    assert.equal(behindProxies('203.0.113.7', '1.1.1.1'), '203.0.113.7');
    assert.equal(behindProxies('203.0.113.7', '10.0.0.1'), '203.0.113.7');
  });

  it('matches an IPv4-mapped socket address against IPv4 proxies and returns it as IPv4', () => {
    assert.equal(behindProxies('::ffff:10.0.0.1', '203.0.113.7'), '203.0.113.7');
    assert.equal(behindProxies('::ffff:10.0.0.1', undefined), '10.0.0.1');
    assert.equal(behindProxies('::ffff:203.0.113.7', '1.1.1.1'), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', '::ffff:203.0.113.7'), '203.0.113.7');
  });

  it('stops at the last trusted hop when a hop cannot be parsed', () => {
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7, unknown'), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7, garbage, 10.0.0.9'), '10.0.0.9');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7 10.0.0.9'), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7, fe80::1%eth0'), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7, 10.0.0.0/8'), '10.0.0.5');
  });

  it('strips a port from IPv4 and bracketed IPv6 hops and refuses other port forms', () => {
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7:5678'), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', '[2001:db8::7]:443'), '2001:db8::7');
    assert.equal(behindProxies('10.0.0.5', '[2001:DB8::7]'), '2001:db8::7');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7:99999'), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7:'), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', '[203.0.113.7]:80'), '10.0.0.5');
    assert.equal(behindProxies('10.0.0.5', '[2001:db8::7'), '10.0.0.5');
  });

  it('reads several header values as one list, in order', () => {
    assert.equal(behindProxies('10.0.0.5', ['1.1.1.1', '203.0.113.7']), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', ['1.1.1.1, 203.0.113.7', '10.0.0.9']), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', ['203.0.113.7', '10.0.0.9, 10.0.0.8']), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', []), '10.0.0.5');
  });

  it('skips empty list elements', () => {
    assert.equal(behindProxies('10.0.0.5', '203.0.113.7, , 10.0.0.9,'), '203.0.113.7');
  });

  it('handles IPv6 proxies and clients, normalising both', () => {
    assert.equal(behindProxies('fd00::1', '2001:DB8:0:0::7'), '2001:db8::7');
    assert.equal(behindProxies('fd00::1', '2001:db8::7, fd00::2'), '2001:db8::7');
    assert.equal(behindProxies('fd00::1', '203.0.113.7, fd00::2'), '203.0.113.7');
    assert.equal(behindProxies('10.0.0.5', '2001:db8::7, fd00::2'), '2001:db8::7');
    assert.equal(behindProxies('2001:DB8::9', '2001:db8::7'), '2001:db8::9');
  });

  it('returns "unknown" when the socket address is missing or unreadable', () => {
    assert.equal(behindProxies(undefined, '203.0.113.7'), 'unknown');
    assert.equal(direct(undefined, undefined), 'unknown');
    assert.equal(behindProxies('', '203.0.113.7'), 'unknown');
  });

  it('refuses an invalid trustedProxies entry at start-up, naming it', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1 ', '']) {
      assert.throws(
        () => createClientAddressResolver({ trustedProxies: ['10.0.0.1', bad] }),
        (e: unknown) => {
          assert.ok(e instanceof ClientAddressConfigError);
          assert.equal(e.name, 'ClientAddressConfigError');
          assert.ok(e.message.includes(`trustedProxies entry ${JSON.stringify(bad)}`), e.message);
          assert.match(e.message, /List each reverse proxy/);
          return true;
        },
        bad,
      );
    }
  });

  it('refuses to trust every address, which would let any client pick its own', () => {
    for (const bad of ['0.0.0.0/0', '::/0', '10.0.0.0/0']) {
      assert.throws(() => createClientAddressResolver({ trustedProxies: [bad] }), (e: unknown) => {
        assert.ok(e instanceof ClientAddressConfigError);
        assert.match(e.message, /trusts every address/);
        return true;
      });
    }
  });
});
