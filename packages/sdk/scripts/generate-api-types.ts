/**
 * Writes src/generated/openapi.ts from a gateway's GET /openapi.json.
 *
 *   npm run generate -w @tijori/sdk                      # starts an embedded gateway (in-memory PGlite) to read it from
 *   npm run generate -w @tijori/sdk -- http://host:8080  # or reads a running gateway's
 */
import { writeFileSync } from 'node:fs';
import { BACKENDS } from '../../server/src/test-support/backends.js';
import { startListeningGateway } from '../src/test-support/listening-gateway.js';
import { API_TYPES_FILE, renderApiTypes } from './api-types.js';

const given = process.argv[2];
const gateway = given === undefined ? await startListeningGateway(BACKENDS.find((b) => b.name === 'pglite')!) : undefined;
try {
  const baseUrl = given ?? gateway!.baseUrl;
  const res = await fetch(`${baseUrl}/openapi.json`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/openapi.json answered ${res.status}`);
  writeFileSync(API_TYPES_FILE, await renderApiTypes((await res.json()) as object));
  console.log(`wrote ${API_TYPES_FILE.pathname}`);
} finally {
  await gateway?.close();
}
