import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientAddressConfigError } from './client-address.js';
import { createTrustedPeerCheck } from './trusted-peer.js';

describe('createTrustedPeerCheck', () => {
  it('trusts nobody when no proxy is configured', () => {
    const isTrusted = createTrustedPeerCheck([]);
    assert.equal(isTrusted('127.0.0.1'), false);
    assert.equal(isTrusted(undefined), false);
  });

  it('trusts a listed address or range, and nothing else', () => {
    const isTrusted = createTrustedPeerCheck(['127.0.0.1', '10.0.0.0/8', '2001:db8::/32']);
    assert.equal(isTrusted('127.0.0.1'), true);
    assert.equal(isTrusted('10.20.30.40'), true);
    assert.equal(isTrusted('2001:db8::7'), true);
    assert.equal(isTrusted('198.51.100.1'), false);
    assert.equal(isTrusted('11.0.0.1'), false);
  });

  it('matches an IPv4 proxy seen through an IPv6 socket (::ffff:a.b.c.d)', () => {
    assert.equal(createTrustedPeerCheck(['127.0.0.1'])('::ffff:127.0.0.1'), true);
  });

  it('never trusts a socket without a readable address', () => {
    const isTrusted = createTrustedPeerCheck(['10.0.0.0/8']);
    assert.equal(isTrusted(undefined), false);
    assert.equal(isTrusted(''), false);
    assert.equal(isTrusted('not-an-ip'), false);
  });

  it('refuses a list that trusts every address, since any client could then claim to be a proxy', () => {
    assert.throws(() => createTrustedPeerCheck(['0.0.0.0/0']), (err: unknown) => err instanceof ClientAddressConfigError && /trusts every address/.test(err.message));
    assert.throws(() => createTrustedPeerCheck(['::/0']), /trusts every address/);
  });

  it('refuses an entry that is not an address or range, saying how to write one', () => {
    assert.throws(() => createTrustedPeerCheck(['proxy.internal']), /trustedProxies entry "proxy.internal" is not an IPv4 or IPv6 address or CIDR range.*"10.0.0.0\/8"/);
  });
});
