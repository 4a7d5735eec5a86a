import type { Secret } from '../lib/secret.js';
import type { KeyProvider } from './key-provider.js';
import { LocalKeyProvider } from './local-key-provider.js';
import { Pkcs11KeyProvider } from './pkcs11-key-provider.js';

export type KeyProviderOptions =
  | {
      kind: 'local';
      /** 32-byte KEKs: the current one first, then older ones still needed to unwrap. */
      keks: readonly Buffer[];
    }
  | {
      kind: 'pkcs11';
      modulePath: string;
      tokenLabel: string;
      pin: Secret<string>;
      keyLabel: string;
      olderKeyLabels?: readonly string[];
    };

/**
 * Chooses the key provider; called once from the composition root. Async so a
 * provider that must reach a network service at start-up fits the same call.
 */
export async function createKeyProvider(options: KeyProviderOptions): Promise<KeyProvider> {
  switch (options.kind) {
    case 'local':
      return new LocalKeyProvider(options.keks);
    case 'pkcs11':
      return new Pkcs11KeyProvider({
        modulePath: options.modulePath,
        tokenLabel: options.tokenLabel,
        pin: options.pin,
        keyLabel: options.keyLabel,
        olderKeyLabels: options.olderKeyLabels ?? [],
      });
    default: {
      const kind = (options as { kind?: unknown }).kind;
      throw new TypeError(`unknown key provider kind ${JSON.stringify(kind)}; use "local" or "pkcs11"`);
    }
  }
}
