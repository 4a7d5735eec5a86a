import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpAllowlist, normalizeIp, parseAllowlistEntry } from './ip-allowlist.js';

function normalized(entry: string): string {
  const result = parseAllowlistEntry(entry);
  assert.ok(result.ok, `${entry}: ${result.ok ? '' : result.reason}`);
  return result.normalized;
}

describe('parseAllowlistEntry', () => {
  it('accepts single addresses and CIDR ranges of both families', () => {
    assert.equal(normalized('203.0.113.7'), '203.0.113.7');
    assert.equal(normalized('203.0.113.0/24'), '203.0.113.0/24');
    assert.equal(normalized('0.0.0.0/0'), '0.0.0.0/0');
    assert.equal(normalized('2001:db8::/32'), '2001:db8::/32');
    assert.equal(normalized('::/0'), '::/0');
  });

  it('writes IPv6 in lower case, compressed, with the first longest zero run as "::"', () => {
    assert.equal(normalized('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normalized('2001:0db8:0000:0001:0000:0000:0000:0001'), '2001:db8:0:1::1');
    assert.equal(normalized('1:0:0:1:0:0:1:1'), '1::1:0:0:1:1');
    assert.equal(normalized('1:0:1:1:1:1:1:1'), '1:0:1:1:1:1:1:1');
    assert.equal(normalized('0:0:0:0:0:0:0:0'), '::');
  });

  it('writes IPv4-mapped IPv6 as the IPv4 address or range it covers', () => {
    assert.equal(normalized('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(normalized('::FFFF:cb00:7107'), '203.0.113.7');
    assert.equal(normalized('::ffff:203.0.113.0/120'), '203.0.113.0/24');
    assert.equal(normalized('::ffff:0:0/96'), '0.0.0.0/0');
  });

  it('clears host bits, keeping the network the range names', () => {
    assert.equal(normalized('203.0.113.9/24'), '203.0.113.0/24');
    assert.equal(normalized('10.200.3.4/9'), '10.128.0.0/9');
    assert.equal(normalized('203.0.113.9/0'), '0.0.0.0/0');
    assert.equal(normalized('2001:db8:abcd::1/32'), '2001:db8::/32');
    assert.equal(normalized('2001:db8::ffff/127'), '2001:db8::fffe/127');
  });

  it('writes a full-length prefix as the bare address', () => {
    assert.equal(normalized('203.0.113.7/32'), '203.0.113.7');
    assert.equal(normalized('2001:db8::1/128'), '2001:db8::1');
  });

  it('refuses junk with a reason that completes a sentence about the entry', () => {
    for (const bad of [
      '10.0.0.0/33',
      '2001:db8::/129',
      '300.1.1.1',
      '1.2.3',
      '01.2.3.4',
      'abc',
      '10.0.0.1 ',
      ' 10.0.0.1',
      '10.0.0.1/ 8',
      'fe80::1%eth0',
      'fe80::%eth0/64',
      '',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '10.0.0.0/8/8',
      '1.2.3.4:80',
      '[::1]',
      '2001:db8:::1',
    ]) {
      const result = parseAllowlistEntry(bad);
      assert.equal(result.ok, false, JSON.stringify(bad));
      assert.ok(!result.ok && result.reason.length > 10, JSON.stringify(bad));
    }
  });

  it('says which limit a prefix length broke and what to remove', () => {
    assert.deepEqual(parseAllowlistEntry('10.0.0.0/33'), { ok: false, reason: 'has prefix length /33, but IPv4 allows /0 to /32' });
    assert.deepEqual(parseAllowlistEntry('2001:db8::/129'), { ok: false, reason: 'has prefix length /129, but IPv6 allows /0 to /128' });
    assert.match((parseAllowlistEntry('fe80::1%eth0') as { reason: string }).reason, /zone/);
    assert.match((parseAllowlistEntry('10.0.0.1 ') as { reason: string }).reason, /spaces/);
    assert.match((parseAllowlistEntry('') as { reason: string }).reason, /empty/);
  });
});

describe('normalizeIp', () => {
  it('returns one spelling per host', () => {
    assert.equal(normalizeIp('203.0.113.7'), '203.0.113.7');
    assert.equal(normalizeIp('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(normalizeIp('2001:DB8::0:1'), '2001:db8::1');
    assert.equal(normalizeIp('::1'), '::1');
  });

  it('returns undefined for anything that is not an IP', () => {
    for (const bad of ['', 'unknown', 'localhost', '1.2.3.4:80', '[::1]', ' 1.2.3.4', 'fe80::1%eth0', '203.0.113.0/24', '300.1.1.1']) {
      assert.equal(normalizeIp(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('IpAllowlist', () => {
  it('allows exactly a single IPv4 address', () => {
    const list = new IpAllowlist(['203.0.113.7']);
    assert.equal(list.allows('203.0.113.7'), true);
    assert.equal(list.allows('203.0.113.8'), false);
    assert.equal(list.allows('203.0.113.6'), false);
  });

  it('allows both edges of a /24 and nothing in the next network', () => {
    const list = new IpAllowlist(['203.0.113.0/24']);
    assert.equal(list.allows('203.0.113.0'), true);
    assert.equal(list.allows('203.0.113.255'), true);
    assert.equal(list.allows('203.0.114.0'), false);
    assert.equal(list.allows('203.0.112.255'), false);
  });

  it('treats /32 as one address and /0 as every IPv4 address (but no IPv6)', () => {
    const one = new IpAllowlist(['198.51.100.1/32']);
    assert.equal(one.allows('198.51.100.1'), true);
    assert.equal(one.allows('198.51.100.2'), false);
    const all = new IpAllowlist(['0.0.0.0/0']);
    assert.equal(all.allows('0.0.0.0'), true);
    assert.equal(all.allows('255.255.255.255'), true);
    assert.equal(all.allows('::ffff:8.8.8.8'), true);
    assert.equal(all.allows('2001:db8::1'), false);
  });

  it('allows a single IPv6 address in any spelling', () => {
    const list = new IpAllowlist(['2001:db8::1']);
    assert.equal(list.allows('2001:db8::1'), true);
    assert.equal(list.allows('2001:DB8:0:0:0:0:0:1'), true);
    assert.equal(list.allows('2001:db8::2'), false);
  });

  it('allows an IPv6 /32 and /128', () => {
    const wide = new IpAllowlist(['2001:db8::/32']);
    assert.equal(wide.allows('2001:db8::'), true);
    assert.equal(wide.allows('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), true);
    assert.equal(wide.allows('2001:db9::'), false);
    assert.equal(wide.allows('2001:db7:ffff:ffff:ffff:ffff:ffff:ffff'), false);
    const one = new IpAllowlist(['2001:db8::1/128']);
    assert.equal(one.allows('2001:db8::1'), true);
    assert.equal(one.allows('2001:db8::'), false);
  });

  it('matches an IPv4-mapped client against an IPv4 entry, and an IPv4 client against a ::ffff: entry', () => {
    assert.equal(new IpAllowlist(['203.0.113.0/24']).allows('::ffff:203.0.113.50'), true);
    assert.equal(new IpAllowlist(['203.0.113.0/24']).allows('::ffff:203.0.114.50'), false);
    assert.equal(new IpAllowlist(['::ffff:203.0.113.7']).allows('203.0.113.7'), true);
    assert.equal(new IpAllowlist(['::ffff:203.0.113.0/120']).allows('203.0.113.200'), true);
    assert.equal(new IpAllowlist(['::ffff:203.0.113.7']).allows('203.0.113.8'), false);
  });

  it('lets ::/0 cover IPv4 clients too, since their mapped form lies inside it', () => {
    assert.equal(new IpAllowlist(['::/0']).allows('203.0.113.7'), true);
  });

  it('allows every address when empty', () => {
    const list = new IpAllowlist([]);
    assert.equal(list.isEmpty, true);
    assert.equal(list.allows('203.0.113.7'), true);
    assert.equal(list.allows('2001:db8::1'), true);
  });

  it('never allows something that is not an IP when not empty', () => {
    const list = new IpAllowlist(['0.0.0.0/0', '::/0']);
    assert.equal(list.isEmpty, false);
    for (const bad of ['', 'unknown', 'localhost', '1.2.3.4:80', 'fe80::1%eth0', ' 1.2.3.4']) {
      assert.equal(list.allows(bad), false, JSON.stringify(bad));
    }
  });

  it('exposes its entries normalised, in order, and read-only', () => {
    const list = new IpAllowlist(['203.0.113.9/24', '::ffff:198.51.100.1', '2001:DB8::/32', '192.0.2.1/32']);
    assert.deepEqual(list.entries, ['203.0.113.0/24', '198.51.100.1', '2001:db8::/32', '192.0.2.1']);
    assert.throws(() => (list.entries as string[]).push('10.0.0.1'), TypeError);
  });

  it('throws TypeError naming the entry when given one that does not parse', () => {
    assert.throws(() => new IpAllowlist(['203.0.113.7', '10.0.0.0/33']), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /"10\.0\.0\.0\/33" has prefix length \/33/);
      return true;
    });
  });
});

describe('IpAllowlist answers', () => {
  it('gives the same answer the second time an address asks, and after many other addresses', () => {
    const list = new IpAllowlist(['203.0.113.0/24']);
    assert.equal(list.allows('203.0.113.9'), true);
    assert.equal(list.allows('203.0.113.9'), true);
    assert.equal(list.allows('198.51.100.1'), false);
    for (let i = 0; i < 3000; i++) list.allows(`10.${(i >> 8) & 255}.${i & 255}.1`);
    assert.equal(list.allows('198.51.100.1'), false);
    assert.equal(list.allows('203.0.113.9'), true);
  });
});
