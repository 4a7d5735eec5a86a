import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEndpointUrl, type EndpointPolicy, isForbiddenAddress } from './ssrf-guard.js';

const POLICIES: EndpointPolicy[] = ['production', 'sandbox'];

/** One or more literals for every class that must never receive a webhook, loopback aside. */
const FORBIDDEN: Record<string, string[]> = {
  'private (RFC 1918)': ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.0.1', '192.168.255.255'],
  'link-local and cloud metadata': ['169.254.0.1', '169.254.169.254', 'fe80::1', 'febf:ffff::1'],
  'unique-local IPv6': ['fc00::1', 'fd12:3456:789a::1'],
  multicast: ['224.0.0.1', '239.255.255.250', 'ff02::1', 'ff05::1:3'],
  unspecified: ['0.0.0.0', '0.1.2.3', '::'],
  broadcast: ['255.255.255.255'],
  'carrier-grade NAT': ['100.64.0.1', '100.127.255.254'],
  'reserved, documentation and benchmarking': ['240.0.0.1', '192.0.0.8', '192.0.2.1', '198.51.100.1', '203.0.113.1', '198.18.0.1', '2001:db8::1', '3fff::1'],
  'IPv4-mapped private and metadata': ['::ffff:10.0.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe'],
  'IPv6 that embeds or tunnels to IPv4': ['2002:7f00:1::1', '2001:0:4136:e378::1', '64:ff9b::a9fe:a9fe', '::ffff:0:7f00:1', '::7f00:1'],
  'deprecated site-local and discard': ['fec0::1', '100::1'],
};

const LOOPBACK = ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'];

describe('isForbiddenAddress', () => {
  for (const [name, addresses] of Object.entries(FORBIDDEN)) {
    it(`refuses ${name} in both policies`, () => {
      for (const policy of POLICIES) {
        for (const address of addresses) assert.equal(isForbiddenAddress(address, policy), true, `${address} under ${policy}`);
      }
    });
  }

  it('refuses loopback in production, including its IPv4-mapped forms', () => {
    for (const address of LOOPBACK) assert.equal(isForbiddenAddress(address, 'production'), true, address);
  });

  it('allows loopback in sandbox, for a merchant developing against localhost', () => {
    for (const address of LOOPBACK) assert.equal(isForbiddenAddress(address, 'sandbox'), false, address);
  });

  it('allows public addresses of both families', () => {
    for (const policy of POLICIES) {
      for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
        assert.equal(isForbiddenAddress(address, policy), false, `${address} under ${policy}`);
      }
    }
  });

  it('refuses what is not a plain address, since stacks disagree on how to read it', () => {
    for (const address of ['', 'localhost', 'example.com', '0177.0.0.1', '0x7f000001', '2130706433', '127.1', '[::1]', 'fe80::1%eth0', '2606:4700::1111%1', ' 8.8.8.8']) {
      assert.equal(isForbiddenAddress(address, 'sandbox'), true, JSON.stringify(address));
    }
  });
});

function refusal(url: string, policy: EndpointPolicy): { code: string; message: string } {
  const result = checkEndpointUrl(url, policy);
  assert.equal(result.ok, false, `${url} under ${policy} should be refused`);
  return result.ok ? { code: '', message: '' } : result;
}

function accepted(url: string, policy: EndpointPolicy): URL {
  const result = checkEndpointUrl(url, policy);
  assert.ok(result.ok, `${url} under ${policy}: ${result.ok ? '' : result.message}`);
  return result.url;
}

describe('checkEndpointUrl', () => {
  it('accepts a public https URL in both policies, keeping path and query', () => {
    for (const policy of POLICIES) {
      assert.equal(accepted('https://hooks.example.com/tijori?shop=1', policy).href, 'https://hooks.example.com/tijori?shop=1');
      assert.equal(accepted('https://8.8.8.8:8443/hook', policy).hostname, '8.8.8.8');
      assert.equal(accepted('https://[2606:4700::1111]/hook', policy).hostname, '[2606:4700::1111]');
    }
  });

  it('refuses http in production and says sandbox accepts it', () => {
    const { code, message } = refusal('http://hooks.example.com/', 'production');
    assert.equal(code, 'insecure_scheme');
    assert.match(message, /https:\/\/.*sandbox/);
  });

  it('accepts http in sandbox', () => {
    assert.equal(accepted('http://hooks.example.com/', 'sandbox').protocol, 'http:');
  });

  it('refuses schemes other than http and https', () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'javascript:alert(1)', 'data:,x']) {
      assert.equal(refusal(url, 'sandbox').code, 'invalid_url', url);
    }
  });

  it('refuses what is not an absolute URL', () => {
    for (const url of ['', 'example.com/hook', '/hook', 'https://', 'https://exa mple.com/', 'http://[::1/']) {
      assert.equal(refusal(url, 'sandbox').code, 'invalid_url', JSON.stringify(url));
    }
  });

  it('refuses a URL longer than 2048 characters', () => {
    const base = 'https://hooks.example.com/';
    assert.ok(checkEndpointUrl(base + 'a'.repeat(2048 - base.length), 'production').ok);
    assert.equal(refusal(base + 'a'.repeat(2049 - base.length), 'production').code, 'invalid_url');
  });

  it('refuses credentials in the URL without repeating them', () => {
    for (const url of ['https://user:hunter2@hooks.example.com/', 'https://user@hooks.example.com/', 'https://:hunter2@hooks.example.com/']) {
      const { code, message } = refusal(url, 'sandbox');
      assert.equal(code, 'credentials_in_url');
      assert.doesNotMatch(message, /hunter2|user@/);
    }
  });

  it('refuses a fragment, which would never reach the receiver', () => {
    assert.equal(refusal('https://hooks.example.com/#section', 'production').code, 'invalid_url');
  });

  it('refuses every forbidden class given as a literal host, in both policies', () => {
    for (const addresses of Object.values(FORBIDDEN)) {
      for (const address of addresses) {
        const host = address.includes(':') ? `[${address}]` : address;
        for (const policy of POLICIES) assert.equal(refusal(`https://${host}/hook`, policy).code, 'forbidden_address', `${host} under ${policy}`);
      }
    }
  });

  it('refuses the metadata address and names why', () => {
    assert.match(refusal('https://169.254.169.254/latest/meta-data/', 'sandbox').message, /link-local.*metadata/);
    assert.equal(refusal('https://[::ffff:169.254.169.254]/', 'sandbox').code, 'forbidden_address');
  });

  it('refuses loopback literals in production and accepts them in sandbox', () => {
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]']) {
      assert.equal(refusal(`https://${host}/`, 'production').code, 'forbidden_address', host);
      accepted(`http://${host}:3000/`, 'sandbox');
    }
  });

  it('checks the host as the URL parser normalises it, so decimal, octal and hex spellings of 127.0.0.1 are caught', () => {
    for (const url of ['https://2130706433/', 'https://0177.0.0.1/', 'https://0x7f.0.0.1/', 'https://0x7f000001/', 'https://127.1/', 'https://017700000001/']) {
      assert.equal(new URL(url).hostname, '127.0.0.1', `the WHATWG parser reads ${url} as 127.0.0.1`);
      assert.equal(refusal(url, 'production').code, 'forbidden_address', url);
      // In sandbox the normalised loopback address is the one checked and allowed.
      assert.equal(accepted(url, 'sandbox').hostname, '127.0.0.1');
    }
    for (const url of ['https://167772161/', 'https://0xa9.0xfe.0xa9.0xfe/', 'https://0251.0376.0251.0376/']) {
      assert.equal(refusal(url, 'sandbox').code, 'forbidden_address', url);
    }
  });

  it('refuses localhost names in production, which resolve to this machine', () => {
    for (const url of ['https://localhost/', 'https://LOCALHOST:8443/', 'https://localhost./', 'https://api.localhost/']) {
      assert.equal(refusal(url, 'production').code, 'forbidden_address', url);
    }
  });

  it('accepts localhost in sandbox; its addresses are checked again at delivery', () => {
    assert.equal(accepted('http://localhost:3000/hook', 'sandbox').hostname, 'localhost');
  });

  it('does not resolve hostnames at registration', () => {
    // A name that could only fail in DNS passes: the delivery-time check owns DNS.
    accepted('https://does-not-exist.invalid/hook', 'production');
  });
});
