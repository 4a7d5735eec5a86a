import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/load-config.js';

/** What Fastify's `https` option gets: the PEM bytes, and no protocol older than TLS 1.2 (the seeds' "TLS 1.2+"). */
export interface TlsServerOptions {
  cert: Buffer;
  key: Buffer;
  minVersion: 'TLSv1.2';
}

export interface LoadedTls {
  options: TlsServerOptions;
  /** The leaf certificate's subject and expiry, for the start-up log. */
  subject: string;
  notAfter: Date;
}

async function readPem(variable: string, file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'this user may not read it' : (err as Error).message;
    throw new ConfigError(`Cannot read ${variable} ${file}: ${reason}. Give the path of ${what} readable by the gateway's user.`);
  }
}

/**
 * Reads and checks the certificate and key at start-up, so that a wrong
 * file is a sentence naming the variable and what to fix, not a stack trace
 * from the TLS layer, and not a gateway that starts and then fails every
 * handshake. Checks: both are PEM, the key is not passphrase-protected, the
 * key belongs to the certificate, and OpenSSL accepts the pair at TLS 1.2+.
 */
export async function loadTlsFiles(certFile: string, keyFile: string): Promise<LoadedTls> {
  const cert = await readPem('TLS_CERT_FILE', certFile, 'a PEM certificate chain (leaf first)');
  const key = await readPem('TLS_KEY_FILE', keyFile, 'the PEM private key of that certificate');

  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`TLS_CERT_FILE ${certFile} does not hold a PEM certificate: expected a "-----BEGIN CERTIFICATE-----" block, the server's own certificate first.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    // PKCS#8 ("ENCRYPTED PRIVATE KEY") or traditional ("Proc-Type: 4,ENCRYPTED"); OpenSSL's own error for it is "interrupted or cancelled".
    const text = key.toString('latin1');
    const encrypted = text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || text.includes('Proc-Type: 4,ENCRYPTED') || (err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE';
    throw new ConfigError(
      encrypted
        ? `TLS_KEY_FILE ${keyFile} is protected by a passphrase, which the gateway cannot type: give an unencrypted PEM key (e.g. \`openssl pkey -in ${keyFile} -out key.pem\`) readable only by the gateway's user.`
        : `TLS_KEY_FILE ${keyFile} does not hold a PEM private key: expected a "-----BEGIN PRIVATE KEY-----" (or RSA/EC PRIVATE KEY) block.`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError(`TLS_KEY_FILE ${keyFile} is not the private key of the certificate in TLS_CERT_FILE ${certFile} (${leaf.subject.replaceAll('\n', ', ')}): give the key the certificate was issued for.`);
  }

  const options: TlsServerOptions = { cert, key, minVersion: 'TLSv1.2' };
  try {
    // What the server will do with them: catches what OpenSSL alone refuses, e.g. a key too small for its security level.
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`OpenSSL refuses TLS_CERT_FILE ${certFile} with TLS_KEY_FILE ${keyFile}: ${(err as Error).message}.`);
  }
  return { options, subject: leaf.subject.replaceAll('\n', ', '), notAfter: new Date(leaf.validTo) };
}
