import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS } from '../test-support/backends.js';
import { startTestGateway, type TestGateway } from '../test-support/test-gateway.js';

describe('API reference', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(BACKENDS[0]!);
  });
  after(async () => {
    await gw?.close();
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const res = await gw.gateway.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const create = doc.paths['/api/v3/pg/order/create'].post;
    assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['order_id', 'order_amount', 'order_currency', 'service_type', 'customer']);
    assert.ok(create.responses['200']);
    assert.deepEqual(create.security, [{ ApiKey: [], Timestamp: [], Signature: [] }]);
    assert.ok(doc.paths['/api/v3/pg/order/status'].post);
    assert.equal(doc.components.securitySchemes.Signature.name, 'X-SIGNATURE');
  });

  it('serves a readable reference page', async () => {
    const res = await gw.gateway.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
  });
});
