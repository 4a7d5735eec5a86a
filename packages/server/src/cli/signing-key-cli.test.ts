import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CliGateway, startCliGateway } from '../test-support/cli-gateway.js';

interface KeyJson {
  kid: string;
  status: 'active' | 'published' | 'retired';
  created_at: string;
  retires_at: string | null;
  public_jwk: Record<string, string>;
}

describe('tijori signing-key commands, against a listening gateway', () => {
  let cli: CliGateway;
  before(async () => {
    cli = await startCliGateway();
  });
  after(async () => {
    await cli?.close();
  });

  const list = async () => (await cli.json<{ signing_keys: KeyJson[] }>(['signing-key', 'list'])).signing_keys;
  const jwksKids = async () => ((await (await fetch(`${cli.base}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  let first: string;
  let second: string;

  it('lists the key the gateway created at start-up, public half only', async () => {
    const keys = await list();
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.status, 'active');
    assert.deepEqual(Object.keys(keys[0]!.public_jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    first = keys[0]!.kid;
    const run = await cli.tijori(['signing-key', 'list']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^KEY ID +STATUS +CREATED +RETIRES/);
    assert.match(run.stdout, new RegExp(`${first} +active`));
  });

  it('rotate --overlap 1h: a new key signs, the replaced one stays in the JWKS for the hour', async () => {
    const run = await cli.tijori(['signing-key', 'rotate', '--overlap', '1h']);
    assert.equal(run.code, 0, run.stderr);
    const keys = await list();
    second = keys[0]!.kid;
    assert.notEqual(second, first);
    assert.deepEqual(keys.map((k) => [k.kid, k.status]), [[second, 'active'], [first, 'published']]);
    const retiresAt = keys[1]!.retires_at as string;
    assert.ok(Math.abs(Date.parse(retiresAt) - Date.now() - 3600_000) < 60_000, retiresAt);
    assert.equal(run.stdout, `Replies are now signed with ${second}.\n${first} stays in /.well-known/jwks.json until ${retiresAt}.\n`);
    assert.deepEqual(await jwksKids(), [second, first]);
    assert.match((await cli.tijori(['signing-key', 'list'])).stdout, new RegExp(`${first} +published \\(replaced\\)`));
  });

  it('rotate --overlap 0 --json: nothing but the new key is published', async () => {
    const rotated = await cli.json<{ active: KeyJson; retiring: KeyJson[] }>(['signing-key', 'rotate', '--overlap', '0']);
    assert.equal(rotated.active.status, 'active');
    assert.deepEqual(rotated.retiring.map((k) => [k.kid, k.status]).sort(), [[first, 'retired'], [second, 'retired']].sort());
    assert.deepEqual(await jwksKids(), [rotated.active.kid]);
  });

  it('refuses an overlap it cannot honour before sending anything (exit 2)', async () => {
    const before = await list();
    for (const overlap of ['31d', '1.5h', 'soon']) {
      const run = await cli.tijori(['signing-key', 'rotate', '--overlap', overlap]);
      assert.equal(run.code, 2, overlap);
      assert.match(run.stderr, /^tijori: --overlap: /);
    }
    assert.deepEqual(await list(), before);
  });

  it('exits 1 with the error code when the gateway refuses (a wrong admin token)', async () => {
    const run = await cli.tijori(['signing-key', 'rotate'], { TIJORI_URL: cli.base, TIJORI_ADMIN_TOKEN: 'tja_wrong_token_0123456789abcdefghijklmnop' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^admin_unauthorized: /);
  });

  it('never prints private key material', () => {
    for (const run of cli.outputs) {
      assert.doesNotMatch(run.stdout + run.stderr, /PRIVATE KEY|"d":/);
    }
  });
});
