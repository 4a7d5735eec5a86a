import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import type { AlertView } from './admin-client.js';
import { type CliGateway, startCliGateway } from '../test-support/cli-gateway.js';

describe('tijori alert commands, against a listening gateway', () => {
  let cli: CliGateway;
  let apiKey = '';

  before(async () => {
    cli = await startCliGateway({ TIJORI_ALERT_SIGNATURE_FAILURES: '2' });
    const creds = JSON.parse(readFileSync(cli.gateway.sandboxCredentialsFile as string, 'utf8')) as { api_key: string };
    apiKey = creds.api_key;
    // Three requests signed with a wrong secret: one signature_failures alert.
    for (let i = 0; i < 3; i++) {
      const body = JSON.stringify({ order_id: `x-${i}` });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = signRequest({ scheme: 'v1', secret: 'sk_test_not_the_secret', timestamp, body, method: 'POST', path: '/api/v3/pg/order/status' });
      const res = await fetch(`${cli.base}/api/v3/pg/order/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': apiKey, 'x-timestamp': timestamp, 'x-signature': signature },
        body,
      });
      assert.equal(res.status, 401);
    }
    // The rules run after each reply; give the last one a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  after(async () => {
    await cli?.close();
  });

  let alertId = '';

  it('alert list shows the alert as a table, and --json as the admin API returns it', async () => {
    const { alerts } = await cli.json<{ alerts: AlertView[] }>(['alert', 'list', '--rule', 'signature_failures']);
    assert.equal(alerts.length, 1);
    alertId = alerts[0]!.alert_id;
    assert.equal((alerts[0]!.details as { api_key: string }).api_key, apiKey);
    const run = await cli.tijori(['alert', 'list']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ALERT +FIRST SEEN +RULE +SEVERITY/);
    assert.match(run.stdout, new RegExp(`${alertId} .* signature_failures +high .* open`));
  });

  it('alert show prints the summary; alert ack --note acknowledges it and --open no longer lists it', async () => {
    const shown = await cli.tijori(['alert', 'show', alertId]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Summary +2 or more requests with a wrong signature/);
    const acked = await cli.tijori(['alert', 'ack', alertId, '--note', 'integration fixed']);
    assert.equal(acked.code, 0, acked.stderr);
    assert.match(acked.stdout, new RegExp(`^Acknowledged ${alertId} at `));
    assert.deepEqual((await cli.json<{ alerts: AlertView[] }>(['alert', 'list', '--open'])).alerts, []);
    const { alerts } = await cli.json<{ alerts: AlertView[] }>(['alert', 'list', '--acknowledged']);
    assert.equal(alerts[0]?.acknowledged_note, 'integration fixed');
  });

  it('refuses a wrong command line with exit 2 and an unknown alert with exit 1', async () => {
    const badRule = await cli.tijori(['alert', 'list', '--rule', 'nope']);
    assert.equal(badRule.code, 2);
    assert.match(badRule.stderr, /--rule: one of signature_failures/);
    const both = await cli.tijori(['alert', 'list', '--open', '--acknowledged']);
    assert.equal(both.code, 2);
    const missing = await cli.tijori(['alert', 'show', 'alr_000000000000000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /alert_not_found/);
  });
});
