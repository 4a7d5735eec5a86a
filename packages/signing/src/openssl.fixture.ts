/**
 * Test support, not part of the package (excluded from the build): key pairs
 * and signatures made by the openssl command line, in a temporary directory,
 * so the tests check this library against an independent implementation and
 * against the exact commands the README gives merchants.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';
/** For node:test's `skip` option: false when openssl is installed, else the reason. */

export interface PemPair {
  /** File name of the private key inside the workspace. */
  file: string;
  privatePem: string;
  publicPem: string;
}

export class OpensslWorkspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'tijori-signing-'));

  /** Runs a bash script in the workspace (set -euo pipefail) and returns its stdout, trimmed. */
  sh(script: string, env: Record<string, string> = {}): string {
    return execFileSync('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd: this.dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'], // genpkey's progress dots go to stderr, unseen
    })
      .toString('utf8')
      .trim();
  }

  write(name: string, content: string | Uint8Array): string {
    writeFileSync(join(this.dir, name), content);
    return name;
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  /** `openssl genpkey -algorithm ed25519` then `openssl pkey -pubout`. */
  ed25519(name: string): PemPair {
    this.sh(`openssl genpkey -algorithm ed25519 -out ${name}.pem\nopenssl pkey -in ${name}.pem -pubout -out ${name}.pub.pem`);
    return this.pair(name);
  }

  /** `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:BITS` then `openssl pkey -pubout`. */
  rsa(name: string, bits = 2048): PemPair {
    this.sh(`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${bits} -out ${name}.pem\nopenssl pkey -in ${name}.pem -pubout -out ${name}.pub.pem`);
    return this.pair(name);
  }

  /** Any other `openssl genpkey` key, e.g. '-algorithm EC -pkeyopt ec_paramgen_curve:P-256'. */
  other(name: string, genpkeyArgs: string): PemPair {
    this.sh(`openssl genpkey ${genpkeyArgs} -out ${name}.pem\nopenssl pkey -in ${name}.pem -pubout -out ${name}.pub.pem`);
    return this.pair(name);
  }

  /** Ed25519 signature of the message by openssl, base64 on one line (the README's command). */
  signEd25519(pair: PemPair, message: Uint8Array): string {
    this.write('msg.bin', message);
    return this.sh(`openssl pkeyutl -sign -inkey ${pair.file} -rawin -in msg.bin | base64 -w0`);
  }

  /** RSA-PSS (SHA-256, 32-byte salt) signature of the message by openssl, base64 on one line (the README's command). */
  signRsaPss(pair: PemPair, message: Uint8Array, sigopts = '-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32'): string {
    this.write('msg.bin', message);
    return this.sh(`openssl dgst -sha256 ${sigopts} -sign ${pair.file} msg.bin | base64 -w0`);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private pair(name: string): PemPair {
    return { file: `${name}.pem`, privatePem: this.read(`${name}.pem`), publicPem: this.read(`${name}.pub.pem`) };
  }
}
