import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseKekBase64, readKekFile } from './local-kek-source.js';

describe('local KEK sources', () => {
  it('reads a base64 KEK from a setting, ignoring surrounding whitespace', () => {
    const kek = randomBytes(32);
    assert.deepEqual(parseKekBase64(`  ${kek.toString('base64')}\n`, 'TIJORI_KEK'), kek);
  });

  it('refuses a KEK that is not exactly 32 bytes of strict base64, naming the setting and never the value', () => {
    const b64 = randomBytes(32).toString('base64');
    for (const bad of [b64.slice(1), `${b64.slice(0, 10)}!${b64.slice(11)}`, randomBytes(32).toString('hex'), '']) {
      assert.throws(
        () => parseKekBase64(bad, 'TIJORI_KEK'),
        (err: Error) => err.message.includes('TIJORI_KEK') && (bad === '' || !err.message.includes(bad)),
      );
    }
  });

  it('reads a KEK file and says which file it could not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tijori-kek-'));
    try {
      const kek = randomBytes(32);
      writeFileSync(join(dir, 'kek'), `${kek.toString('base64')}\n`);
      assert.deepEqual(await readKekFile(join(dir, 'kek')), kek);
      await assert.rejects(readKekFile(join(dir, 'missing')), /cannot read KEK file .*missing \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
