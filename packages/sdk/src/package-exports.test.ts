/** The built package as a merchant installs it: ESM for import, CommonJS for require, no runtime dependency but the signing package. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { signRequest } from '@tijori/signing';
import { scriptedFetch, success } from './test-support/scripted-fetch.js';
import { SDK_VERSION } from './version.js';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const require = createRequire(import.meta.url);

type Sdk = typeof import('./index.js');

describe('the built package', () => {
  it('has been built (npm run build)', () => {
    for (const file of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
      assert.ok(existsSync(new URL(file, root)), `${file} is missing: run npm run build first`);
    }
  });

  it('gives import the ESM build and require the CommonJS build, with the same exports', async () => {
    const esm = (await import('@tijori/sdk')) as unknown as Sdk;
    const cjs = require('@tijori/sdk') as unknown as Sdk;
    assert.match(fileURLToPath(import.meta.resolve('@tijori/sdk')), /packages\/sdk\/dist\/esm\/index\.js$/);
    assert.match(require.resolve('@tijori/sdk'), /packages\/sdk\/dist\/cjs\/index\.js$/);
    assert.deepEqual(Object.keys(cjs).filter((k) => k !== '__esModule').sort(), Object.keys(esm).sort());
    for (const name of ['Tijori', 'webhooks', 'verifyWebhook', 'TijoriError', 'TijoriRateLimitError', 'TijoriWebhookVerificationError']) assert.ok(name in esm && name in cjs, name);
    assert.notEqual(esm.TijoriError, cjs.TijoriError, 'two builds, two copies of each class');
  });

  it('signs the same request from either build', async () => {
    const esm = (await import('@tijori/sdk')) as unknown as Sdk;
    const cjs = require('@tijori/sdk') as unknown as Sdk;
    for (const sdk of [esm, cjs]) {
      const fetch = scriptedFetch([success({ order_id: 'a' })]);
      const tijori = new sdk.Tijori({ apiKey: 'pk_test_x', secretKey: 'sk_test_y', baseUrl: 'https://gw.example', fetch, now: () => 1778659835000 });
      await tijori.orders.status('a');
      assert.equal(fetch.sent[0]!.headers['x-signature'], signRequest({ scheme: 'v2', secret: 'sk_test_y', timestamp: 1778659835, body: '{"order_id":"a"}', method: 'POST', path: '/api/v3/pg/order/status' }));
    }
  });

  it('depends at run time on @tijori/signing alone, which depends on nothing', () => {
    assert.deepEqual(Object.keys(pkg.dependencies), ['@tijori/signing']);
    const signing = JSON.parse(readFileSync(new URL('../signing/package.json', root), 'utf8'));
    assert.equal(signing.dependencies, undefined);
    assert.equal(pkg.sideEffects, false);
    assert.equal(SDK_VERSION, pkg.version);
  });
});
