import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { TEST_DATABASE_URL } from '../test-support/backends.js';
import type { Db } from './db.js';
import { openPostgresDb } from './postgres-db.js';
import { StorageUnavailable } from './storage-unavailable.js';

/**
 * The LISTEN connection through a TCP relay the test can cut, as a network
 * blip or a database restart would: postgres.js subscribes again by itself,
 * and the gateway is told, since NOTIFYs sent in between are lost for good.
 */
describe('PostgreSQL LISTEN across a lost connection', () => {
  const target = new URL(TEST_DATABASE_URL);
  let accepting = true;
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    if (!accepting) return client.destroy();
    const server = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(server).pipe(client);
  });
  let db: Db;
  const notifier = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  const channel = `tijori_test_listen_${process.pid}`;

  before(async () => {
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const url = new URL(TEST_DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = String((relay.address() as { port: number }).port);
    db = await openPostgresDb({ url: url.toString(), poolMax: 2 });
  });
  after(async () => {
    await db?.close();
    await notifier.end();
    for (const s of sockets) s.destroy();
    relay.close();
  });

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let waited = 0; waited < 15_000; waited += 50) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  it('subscribes again after the connection is cut, says so once, and receives what is sent afterwards', async () => {
    const payloads: string[] = [];
    let resubscribed = 0;
    await db.listen(channel, (p) => payloads.push(p), () => resubscribed++);
    await notifier`SELECT pg_notify(${channel}, 'before')`;
    await until(() => payloads.includes('before'), 'the first notification');
    assert.equal(resubscribed, 0, 'the first subscription is not a re-subscription');

    accepting = false;
    for (const s of sockets) s.destroy();
    await notifier`SELECT pg_notify(${channel}, 'lost')`;
    await new Promise((r) => setTimeout(r, 1000));
    accepting = true;

    await until(() => resubscribed === 1, 'the re-subscription');
    await notifier`SELECT pg_notify(${channel}, 'after')`;
    await until(() => payloads.includes('after'), 'a notification after the re-subscription');
    assert.deepEqual(payloads, ['before', 'after'], 'what was sent while cut off is gone: hence onResubscribed');
  });
});

/**
 * postgres.js 3.4.9 writes the next statement (or ROLLBACK, or COMMIT) of a
 * transaction to its connection even after the socket is gone, and the write
 * throws from a setImmediate: the whole process dies (porsager/postgres#1208).
 * Seen here when PostgreSQL was stopped under load (reliability/database-outage).
 */
describe('a transaction whose connection is lost', () => {
  it('rejects with StorageUnavailable without crashing the process, and the pool serves again', async () => {
    const db = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 2, queryTimeoutMs: 5000 });
    const killer = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      const outcome = db.transaction(async (tx) => {
        const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Ends this session only (as a server restart would), never the server.
        await killer`SELECT pg_terminate_backend(${row?.pid ?? 0})`;
        await new Promise((r) => setTimeout(r, 300));
        await tx.query('SELECT 1');
        return 'committed';
      });
      await assert.rejects(outcome, StorageUnavailable);
      // The crash would come from a setImmediate after the rejection: give it the chance.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await db.query<{ one: number }>('SELECT 1 AS one'))[0]?.one, 1, 'the pool serves again');
    } finally {
      await killer.end();
      await db.close();
    }
  });
});
