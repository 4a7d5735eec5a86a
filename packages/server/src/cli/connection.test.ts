import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ConnectionOptions, type CliEnv, resolveConnection } from './connection.js';

const TOKEN = 'tja_0123456789abcdef0123456789abcdef';

function cwdWithTokenFile(dir = '.tijori', token = 'tja_from_the_file_0123456789abcdef'): string {
  const cwd = mkdtempSync(join(tmpdir(), 'tijori-conn-'));
  mkdirSync(join(cwd, dir), { recursive: true });
  writeFileSync(join(cwd, dir, 'admin-token'), `${token}\n`);
  return cwd;
}

function connect(options: ConnectionOptions, env: CliEnv = {}, cwd = mkdtempSync(join(tmpdir(), 'tijori-conn-'))) {
  const result = resolveConnection(options, env, cwd);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.connection;
}

function refusal(options: ConnectionOptions, env: CliEnv = {}, cwd = mkdtempSync(join(tmpdir(), 'tijori-conn-'))): string {
  const result = resolveConnection(options, env, cwd);
  assert.equal(result.ok, false);
  return result.ok ? '' : result.message;
}

describe('resolveConnection', () => {
  it('defaults to the local gateway', () => {
    assert.equal(connect({ token: TOKEN }).baseUrl, 'http://127.0.0.1:8080');
  });

  it('prefers --url to TIJORI_URL, and keeps a path prefix without its trailing slash', () => {
    assert.equal(connect({ token: TOKEN, url: 'https://ops.example/tijori/' }, { TIJORI_URL: 'http://other:1' }).baseUrl, 'https://ops.example/tijori');
    assert.equal(connect({ token: TOKEN }, { TIJORI_URL: 'https://env.example' }).baseUrl, 'https://env.example');
  });

  it('takes the token from --token, then TIJORI_ADMIN_TOKEN, then ./.tijori/admin-token', () => {
    const cwd = cwdWithTokenFile();
    assert.equal(connect({ token: TOKEN }, { TIJORI_ADMIN_TOKEN: 'tja_env' }, cwd).token.reveal(), TOKEN);
    assert.equal(connect({}, { TIJORI_ADMIN_TOKEN: 'tja_env' }, cwd).token.reveal(), 'tja_env');
    assert.equal(connect({}, {}, cwd).token.reveal(), 'tja_from_the_file_0123456789abcdef');
  });

  it('looks for the token file in TIJORI_DATA_DIR when that is set, as the gateway writes it there', () => {
    const cwd = cwdWithTokenFile('data', 'tja_in_data_dir_0123456789abcdef');
    assert.equal(connect({}, { TIJORI_DATA_DIR: 'data' }, cwd).token.reveal(), 'tja_in_data_dir_0123456789abcdef');
  });

  it('says every way to give a token when none is found', () => {
    assert.match(refusal({}), /no admin token: pass --token, set TIJORI_ADMIN_TOKEN, or run where .*\.tijori\/admin-token/);
  });

  it('refuses a token a header cannot carry, without quoting it', () => {
    const message = refusal({ token: 'tja_has a space_0123456789' });
    assert.match(message, /from --token contains spaces/);
    assert.equal(message.includes('tja_has'), false);
  });

  it('masks the token when the connection is printed or serialised', () => {
    const connection = connect({ token: TOKEN });
    assert.equal(JSON.stringify(connection).includes(TOKEN), false);
    assert.equal(String(connection.token), '[secret]');
  });

  it('refuses URLs that are not plain http(s) gateway addresses', () => {
    assert.match(refusal({ token: TOKEN, url: 'gateway:8080' }), /http:\/\/ or https:\/\//);
    assert.match(refusal({ token: TOKEN, url: 'not a url' }), /is not a URL/);
    assert.match(refusal({ token: TOKEN, url: 'https://admin:pw@gw.example' }), /must not contain a user or password/);
    assert.match(refusal({ token: TOKEN, url: 'https://gw.example/?x=1' }), /query or fragment/);
  });

  it('warns before sending the token unencrypted to another machine, and only then', () => {
    assert.match(connect({ token: TOKEN, url: 'http://gw.internal:8080' }).warnings.join(), /unencrypted to gw\.internal:8080/);
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'https://gw.example']) {
      assert.deepEqual(connect({ token: TOKEN, url }).warnings, [], url);
    }
  });
});
