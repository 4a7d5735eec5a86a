import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScratchDatabase } from '../test-support/gateway-processes.js';
import { loadMigrations, migrate } from './migrate.js';
import { openPostgresDb } from './postgres-db.js';

describe('gateway processes starting at the same moment on an empty database', () => {
  // Each process migrates as it starts. Real processes rarely line their first statements up (start-up
  // jitter is far longer than a statement), so three connections run that same step together instead.
  it('apply the migrations exactly once between them, and none of them fails', async () => {
    const count = (await loadMigrations()).length;
    for (let round = 0; round < 3; round++) {
      const scratch = await createScratchDatabase('tijori_mig');
      const dbs = await Promise.all([0, 1, 2].map(() => openPostgresDb({ url: scratch.url, poolMax: 1 })));
      try {
        const results = await Promise.allSettled(dbs.map((db) => migrate(db)));
        assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)), [], `round ${round}: every process got past its migrations`);
        const applied = results.map((r) => (r.status === 'fulfilled' ? r.value.length : -1)).sort((a, b) => a - b);
        assert.deepEqual(applied, [0, 0, count], `round ${round}: one applied them all, the others none`);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
        await scratch.drop();
      }
    }
  });
});
