/** The SDK's request and reply types cannot drift from the gateway: they are regenerated here from a running gateway's /openapi.json and compared. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BACKENDS } from '../../server/src/test-support/backends.js';
import { API_TYPES_FILE, renderApiTypes, SDK_ROUTES } from '../scripts/api-types.js';
import { type ListeningGateway, startListeningGateway } from './test-support/listening-gateway.js';

describe('src/generated/openapi.ts', () => {
  let gw: ListeningGateway;
  before(async () => {
    // The document comes from the route schemas, not the storage: one back-end is enough.
    gw = await startListeningGateway(BACKENDS.find((b) => b.name === 'pglite')!);
  });
  after(() => gw?.close());

  it('is what the running gateway\'s GET /openapi.json generates (else run `npm run generate -w @tijori/sdk`)', async () => {
    const res = await fetch(`${gw.baseUrl}/openapi.json`);
    assert.equal(res.status, 200);
    const document = (await res.json()) as { paths: Record<string, unknown> };
    for (const path of SDK_ROUTES) assert.ok(path in document.paths, `the gateway no longer serves ${path}`);
    assert.equal(readFileSync(API_TYPES_FILE, 'utf8'), await renderApiTypes(document), 'the generated types are stale: run `npm run generate -w @tijori/sdk`');
  });
});
