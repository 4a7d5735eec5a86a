import { createHash, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import pkcs11js, { type Handle, type PKCS11 } from 'pkcs11js';
import type { Secret } from '../lib/secret.js';

/**
 * One logged-in PKCS#11 session on one token, shared by nothing else, with
 * its calls run one at a time. This file owns the process-wide parts of
 * PKCS#11 that the spec makes awkward:
 *
 * - C_Initialize and C_Finalize act on the whole library in the process, so
 *   the library is loaded once per module path and finalized only when its
 *   last session closes.
 * - Login belongs to the application, not the session: a second C_Login on a
 *   token already logged in answers CKR_USER_ALREADY_LOGGED_IN without looking
 *   at the PIN. We remember a digest of the PIN that logged in and refuse a
 *   second session whose PIN differs, so a wrong PIN fails the same way
 *   whether or not another provider is already open.
 * - A session runs one operation at a time (C_EncryptInit then C_Encrypt);
 *   `run` queues callers so two wraps never interleave on it.
 */

export interface TokenSelector {
  /** Path of the vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  modulePath: string;
  /** Token label as set at --init-token; give this or `slot`. */
  tokenLabel?: string;
  /** Slot id as printed by `softhsm2-util --show-slots` or `pkcs11-tool -L`; give this or `tokenLabel`. */
  slot?: number | bigint;
}

export interface TokenLoginOptions extends TokenSelector {
  /** The token's user PIN. */
  pin: Secret<string>;
}

export type Pkcs11 = PKCS11;
export type { Handle };
/** pkcs11js itself, for its CKA_/CKM_/CKO_ constants in code that calls run(). */
export const ck = pkcs11js;

interface LoadedModule {
  readonly lib: PKCS11;
  readonly path: string;
  refs: number;
  /** false when something else in the process initialized the library first; then it is theirs to finalize. */
  readonly ownsInit: boolean;
}

const modules = new Map<string, LoadedModule>();
const logins = new Map<string, { pinDigest: Buffer; sessions: number }>();

/** The CKR_… name of a PKCS#11 failure, or undefined for anything else. */
export function ckrName(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  return /^(CKR_[A-Z0-9_]+)/.exec(message)?.[1];
}

function reason(err: unknown): string {
  return ckrName(err) ?? (err instanceof Error ? err.message : String(err));
}

function acquireModule(modulePath: string): LoadedModule {
  let path: string;
  try {
    path = realpathSync(modulePath);
  } catch {
    throw new Error(
      `PKCS#11 module not found at ${modulePath}. Install it (Debian: \`apt-get install softhsm2\`, ` +
        'module /usr/lib/softhsm/libsofthsm2.so) or point the module path at your HSM vendor\'s PKCS#11 library.',
    );
  }
  const existing = modules.get(path);
  if (existing) {
    existing.refs += 1;
    return existing;
  }
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(path);
  } catch (err) {
    throw new Error(`cannot load PKCS#11 module ${path}: ${reason(err)}. Is it a PKCS#11 library for this architecture?`);
  }
  let ownsInit = true;
  try {
    // OS locking: wraps run on libuv's thread pool (C_EncryptAsync), so the library must lock for itself.
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (ckrName(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      lib.close();
      throw new Error(
        `PKCS#11 module ${path} refused to initialize: ${reason(err)}. For SoftHSM2, check that SOFTHSM2_CONF ` +
          'names a readable softhsm2.conf whose directories.tokendir exists and is writable.',
      );
    }
    ownsInit = false;
  }
  const loaded: LoadedModule = { lib, path, refs: 1, ownsInit };
  modules.set(path, loaded);
  return loaded;
}

function releaseModule(module: LoadedModule): void {
  module.refs -= 1;
  if (module.refs > 0) return;
  modules.delete(module.path);
  try {
    if (module.ownsInit) module.lib.C_Finalize();
  } finally {
    module.lib.close();
  }
}

function slotNumber(slot: Handle): bigint {
  return slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));
}

function findSlot(lib: PKCS11, selector: TokenSelector): { slot: Handle; label: string } {
  const slots = lib.C_GetSlotList(true);
  const present = slots.map((slot) => {
    const info = lib.C_GetTokenInfo(slot);
    return { slot, label: info.label.trim(), initialized: (info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0 };
  });
  const listed = present.filter((t) => t.initialized).map((t) => `"${t.label}" (slot ${slotNumber(t.slot)})`);
  const match =
    selector.tokenLabel !== undefined
      ? present.filter((t) => t.initialized && t.label === selector.tokenLabel)
      : present.filter((t) => slotNumber(t.slot) === BigInt(selector.slot!));
  const wanted = selector.tokenLabel !== undefined ? `labelled "${selector.tokenLabel}"` : `in slot ${selector.slot}`;
  if (match.length === 0) {
    throw new Error(
      `no initialized PKCS#11 token ${wanted}; tokens present: ${listed.join(', ') || 'none'}. ` +
        'Create one with `softhsm2-util --init-token --free --label <label>` (SoftHSM2) or your HSM\'s tools.',
    );
  }
  if (match.length > 1) {
    throw new Error(`more than one PKCS#11 token is ${wanted}; select it by slot id instead (${listed.join(', ')})`);
  }
  return match[0]!;
}

export class TokenSession {
  /** The token's label, for messages. */
  readonly tokenLabel: string;
  readonly #module: LoadedModule;
  readonly #session: Handle;
  readonly #loginKey: string;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #closing: Promise<void> | undefined;

  private constructor(module: LoadedModule, session: Handle, loginKey: string, tokenLabel: string) {
    this.#module = module;
    this.#session = session;
    this.#loginKey = loginKey;
    this.tokenLabel = tokenLabel;
  }

  /** Loads the module if needed, opens a read-write session on the token and logs in as its user. */
  static open(options: TokenLoginOptions): TokenSession {
    if (typeof options.modulePath !== 'string' || options.modulePath === '') {
      throw new TypeError('PKCS#11 modulePath is required (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)');
    }
    if ((options.tokenLabel === undefined) === (options.slot === undefined)) {
      throw new TypeError('select the PKCS#11 token by exactly one of tokenLabel or slot');
    }
    const pin = options.pin?.reveal?.();
    if (typeof pin !== 'string' || pin === '') {
      throw new TypeError('the PKCS#11 user PIN is required, wrapped in a Secret');
    }
    const module = acquireModule(options.modulePath);
    const { lib } = module;
    let session: Handle | undefined;
    try {
      const { slot, label } = findSlot(lib, options);
      const loginKey = `${module.path}#${slotNumber(slot)}`;
      session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      const pinDigest = createHash('sha256').update(pin, 'utf8').digest();
      const existing = logins.get(loginKey);
      if (existing) {
        if (!timingSafeEqual(existing.pinDigest, pinDigest)) throw loginRefused(label, 'CKR_PIN_INCORRECT');
        existing.sessions += 1;
      } else {
        try {
          lib.C_Login(session, pkcs11js.CKU_USER, pin);
        } catch (err) {
          // Already logged in by code outside this file: the token accepted a login from this process already.
          if (ckrName(err) !== 'CKR_USER_ALREADY_LOGGED_IN') throw loginRefused(label, reason(err));
        }
        logins.set(loginKey, { pinDigest, sessions: 1 });
      }
      return new TokenSession(module, session, loginKey, label);
    } catch (err) {
      if (session) {
        try {
          lib.C_CloseSession(session);
        } catch {
          // already gone; the original error is the one to report
        }
      }
      releaseModule(module);
      throw err;
    }
  }

  /**
   * Runs `fn` with the session once every earlier call has finished. Use it for
   * everything after open(): PKCS#11 sessions are not safe for concurrent use.
   */
  run<T>(fn: (lib: PKCS11, session: Handle) => T | Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new Error(`PKCS#11 session on token "${this.tokenLabel}" is closed`));
    this.#pending += 1;
    const result = this.#tail
      .then(() => fn(this.#module.lib, this.#session))
      .finally(() => {
        this.#pending -= 1;
      });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs `fn` at once, for set-up code that must finish before the constructor
   * returns. Refused while any queued call is pending, since that call may be
   * between C_EncryptInit and C_Encrypt on this same session.
   */
  runNow<T>(fn: (lib: PKCS11, session: Handle) => T): T {
    if (this.#closing) throw new Error(`PKCS#11 session on token "${this.tokenLabel}" is closed`);
    if (this.#pending > 0) throw new Error('runNow() called while PKCS#11 calls are queued; use run()');
    return fn(this.#module.lib, this.#session);
  }

  /**
   * Refuses new calls, lets queued ones finish, then closes the session (the
   * token logs the process out when its last session on the token closes).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#tail;
      try {
        this.#module.lib.C_CloseSession(this.#session);
      } finally {
        const login = logins.get(this.#loginKey);
        if (login && --login.sessions === 0) logins.delete(this.#loginKey);
        releaseModule(this.#module);
      }
    })();
    return this.#closing;
  }
}

function loginRefused(tokenLabel: string, code: string): Error {
  const hint =
    code === 'CKR_PIN_INCORRECT'
      ? 'the user PIN is wrong. Check the configured PIN; repeated failures may lock the token (CKR_PIN_LOCKED)'
      : code === 'CKR_PIN_LOCKED'
        ? 'the user PIN is locked after too many failures; the security officer must reset it'
        : 'check the PIN and that the token is initialized with a user PIN';
  return new Error(`PKCS#11 login to token "${tokenLabel}" refused (${code}): ${hint}.`);
}

/** The one secret key with this label; undefined if none, an Error if several (labels name KEKs, so they must be unique). */
export function findSecretKey(lib: PKCS11, session: Handle, label: string): Handle | undefined {
  lib.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  let found: Handle[];
  try {
    found = lib.C_FindObjects(session, 2);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
  if (found.length > 1) throw new Error(`the token holds more than one secret key labelled "${label}"; a KEK label must be unique`);
  return found[0];
}

/** Reads one CK_BBOOL attribute. */
export function readBool(lib: PKCS11, session: Handle, key: Handle, type: number): boolean {
  const [attr] = lib.C_GetAttributeValue(session, key, [{ type }]);
  return attr?.value[0] === 1;
}

/** Reads one CK_ULONG attribute. */
export function readUlong(lib: PKCS11, session: Handle, key: Handle, type: number): number {
  const value = lib.C_GetAttributeValue(session, key, [{ type }])[0]?.value;
  if (!value || value.length === 0) return -1;
  return Number(value.length >= 8 ? value.readBigUInt64LE(0) : BigInt(value.readUInt32LE(0)));
}
