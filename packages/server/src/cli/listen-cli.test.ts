import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '@tijori/signing';
import { type CliGateway, startCliGateway } from '../test-support/cli-gateway.js';
import { Receiver } from '../test-support/webhook-receiver.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const SECRET = 'whsec_dGlqb3JpLWxpc3Rlbi10ZXN0LXNlY3JldC0wMTIzNDU=';

/** Lines a child writes to stdout, as they come. */
class Lines {
  readonly seen: string[] = [];
  #waiters: Array<() => void> = [];
  constructor(child: ChildProcessWithoutNullStreams) {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        this.seen.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }
  /** The first line (parsed as JSON) matching `test`, waiting for it if need be; fails the test after 20 s. */
  async next(test: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = this.seen.map((l) => JSON.parse(l) as Record<string, unknown>).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching line; saw:\n${this.seen.join('\n')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }
}

describe('tijori listen and tijori trigger, against a listening gateway', () => {
  let cli: CliGateway;
  const receiver = new Receiver();
  let forwardTo = '';
  let env: Record<string, string> = {};

  before(async () => {
    cli = await startCliGateway();
    forwardTo = await receiver.start();
    const creds = JSON.parse(readFileSync(cli.gateway.sandboxCredentialsFile as string, 'utf8')) as { api_key: string; secret_key: string };
    env = { TIJORI_URL: cli.base, TIJORI_API_KEY: creds.api_key, TIJORI_SECRET_KEY: creds.secret_key };
  });
  after(async () => {
    await receiver.close();
    await cli?.close();
  });

  it('forwards a triggered payment.success to the local server, signed with the session secret, and stops cleanly on Ctrl-C', async () => {
    const listen = spawn(process.execPath, [CLI, 'listen', '--forward-to', forwardTo, '--events', 'payment.success', '--json'], {
      env: { PATH: process.env.PATH ?? '', ...env, TIJORI_WEBHOOK_SECRET: SECRET },
    });
    let stderr = '';
    listen.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = new Lines(listen);
    const ready = await lines.next((l) => l.type === 'ready');
    assert.match(String(ready.listener_id), /^wl_[0-9a-f]{24}$/);
    assert.equal(ready.webhook_secret, SECRET);

    const trigger = await cli.tijori(['trigger', 'payment.success', '--json'], env);
    assert.equal(trigger.code, 0, trigger.stderr);
    const triggered = JSON.parse(trigger.stdout) as { order_id: string; order_status: string };
    assert.equal(triggered.order_status, 'PAID');

    const forwarded = await lines.next((l) => l.type === 'forwarded');
    assert.equal(forwarded.event, 'payment.success');
    assert.equal(forwarded.status, 200);
    const delivery = receiver.received.find((r) => r.body.includes(triggered.order_id));
    assert.ok(delivery, 'the local server received the event');
    assert.equal(verifyWebhook({ body: delivery.body, headers: delivery.headers as Record<string, string>, secret: SECRET }).ok, true);
    assert.equal((JSON.parse(delivery.body) as { data: { order_id: string } }).data.order_id, triggered.order_id);

    listen.kill('SIGINT');
    const [code] = (await once(listen, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
    const rows = await cli.gateway.db.query<{ closed_at: Date | null }>('SELECT closed_at FROM webhook_listeners WHERE id = $1', [ready.listener_id]);
    assert.ok(rows[0]?.closed_at, 'Ctrl-C closed the listener on the gateway');
    assert.equal(stderr.includes(env.TIJORI_SECRET_KEY as string), false);
  });

  it('refuses what it cannot do: an unknown event or URL (exit 2), an unreachable gateway (exit 3)', async () => {
    const unknown = await cli.tijori(['trigger', 'payment.refunded'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /one of payment\.processing, payment\.success, payment\.failed/);
    const badUrl = await cli.tijori(['listen', '--forward-to', 'localhost:3000'], env);
    assert.equal(badUrl.code, 2);
    const down = await cli.tijori(['trigger', 'payment.failed'], { ...env, TIJORI_URL: 'http://127.0.0.1:9' });
    assert.equal(down.code, 3);
  });
});
