import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../lib/secret.js';

export const SOFTHSM_UTIL = '/usr/bin/softhsm2-util';
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmTestToken {
  modulePath: string;
  tokenLabel: string;
  pin: Secret<string>;
  soPin: string;
  dir: string;
  remove(): void;
}

/**
 * A fresh SoftHSM2 token in a temporary directory, for one test file. Sets
 * SOFTHSM2_CONF for this process, which SoftHSM reads at C_Initialize, so call
 * it before any provider loads the module. Fails (never skips) when SoftHSM2
 * is missing: the PKCS#11 provider is a required feature, not an optional one.
 */
export function createSoftHsmTestToken(tokenLabel = 'tijori-test'): SoftHsmTestToken {
  for (const [path, what] of [
    [SOFTHSM_UTIL, 'softhsm2-util'],
    [SOFTHSM_MODULE, 'the SoftHSM2 PKCS#11 module'],
  ] as const) {
    if (!existsSync(path)) {
      throw new Error(`${what} is missing at ${path}; the PKCS#11 key provider tests need Debian's softhsm2 package (\`apt-get install softhsm2\`)`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tijori-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pin = '1234';
  const soPin = '5678';
  execFileSync(SOFTHSM_UTIL, ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: 'pipe',
  });
  return {
    modulePath: SOFTHSM_MODULE,
    tokenLabel,
    pin: new Secret(pin),
    soPin,
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
