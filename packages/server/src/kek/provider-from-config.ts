import type { Config } from '../config/schema.js';
import { CompositeKeyProvider } from './composite-key-provider.js';
import { createKeyProvider } from './create-key-provider.js';
import type { KeyProvider } from './key-provider.js';
import { deriveKey } from '../lib/field-cipher.js';

function decodeKeys(text: string): Buffer[] {
  return text.split(',').map((k) => Buffer.from(k.trim(), 'base64'));
}

/**
 * The KEK provider the configuration asks for. `masterKey` is the local
 * master key when one is configured (or kept in the embedded data dir); with
 * TIJORI_KEK_PROVIDER=pkcs11 it stays available for unwrapping, so data keys
 * wrapped before the move to the HSM keep opening until they are rewrapped.
 */
export async function keyProviderFromConfig(config: Config, masterKey: Buffer | undefined): Promise<KeyProvider> {
  const previous = config.previousMasterKeys ? decodeKeys(config.previousMasterKeys.reveal()) : [];
  // The master key is HKDF input for other purposes too (legacy field key); the KEK gets a key of its own.
  const localKeys = [...(masterKey ? [masterKey] : []), ...previous].map((k) => deriveKey(k, 'kek/v1'));
  const local = localKeys.length > 0 ? await createKeyProvider({ kind: 'local', keks: localKeys }) : undefined;
  if (config.kekProvider === 'local') {
    if (!local) throw new Error('No master key: set TIJORI_MASTER_KEY or TIJORI_MASTER_KEY_FILE, or TIJORI_KEK_PROVIDER=pkcs11.');
    return local;
  }
  // load-config has checked that these are set when the provider is pkcs11.
  const hsm = await createKeyProvider({
    kind: 'pkcs11',
    modulePath: config.pkcs11Module as string,
    tokenLabel: config.pkcs11TokenLabel as string,
    pin: config.pkcs11Pin as NonNullable<Config['pkcs11Pin']>,
    keyLabel: config.pkcs11KeyLabel as string,
    olderKeyLabels: config.pkcs11PreviousKeyLabels.split(',').map((l) => l.trim()).filter(Boolean),
  });
  return local ? new CompositeKeyProvider(hsm, [local]) : hsm;
}
