import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

/** argon2id cost. Memory in KiB. */
export interface Argon2Params {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/**
 * OWASP's Password Storage Cheat Sheet minimum for argon2id (19 MiB, 2
 * passes, 1 lane): about 50 ms a hash here, so a sign-in costs the server
 * little and an offline guess costs an attacker as much memory per try.
 */
export const DEFAULT_ARGON2: Argon2Params = { memoryKib: 19456, iterations: 2, parallelism: 1 };

// NIST SP 800-63B asks for at least 8; 12 because nothing here limits offline guessing of a stolen hash but its cost.
export const MIN_PASSWORD_LENGTH = 12;
// argon2 takes any length, but a megabyte password is work we need not do; 256 fits every password manager.
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'same_as_email';

let common: Set<string> | undefined;

/**
 * zxcvbn-ts's list of 49,000 common passwords (from leaked-password
 * corpora), loaded on first use. A password is common when it is on the
 * list ignoring case, or is a listed word with digits and punctuation
 * appended ("password1234!"), the usual way people meet a length rule.
 */
function isCommon(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  const lower = password.toLowerCase();
  if (common.has(lower)) return true;
  const stem = lower.replace(/[^a-z]+$/, '');
  return stem.length >= 4 && stem !== lower && common.has(stem);
}

/** Why a new password is refused, or undefined when it may be used. Counted in code points, not UTF-16 units. */
export function passwordProblem(password: string, email: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'too_long';
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return 'same_as_email';
  if (isCommon(password)) return 'common';
  return undefined;
}

export const PASSWORD_PROBLEM_TEXT: Record<PasswordProblem, string> = {
  too_short: `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
  too_long: `The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`,
  common: 'This password is on a list of commonly used passwords; choose another (a passphrase of several words works well).',
  same_as_email: 'The password must not be the email address.',
};

/** Hashes and checks passwords with argon2id (the `argon2` binding of the reference implementation). */
export class PasswordHasher {
  readonly #options: { type: typeof argon2.argon2id; memoryCost: number; timeCost: number; parallelism: number };
  #dummy: Promise<string> | undefined;

  constructor(params: Argon2Params = DEFAULT_ARGON2) {
    this.#options = { type: argon2.argon2id, memoryCost: params.memoryKib, timeCost: params.iterations, parallelism: params.parallelism };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.#options);
  }

  /** Constant-time inside argon2; false for a malformed hash too. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /**
   * The same work as checking a real account's password, for an email no
   * account has: sign-in takes as long whether or not the email exists.
   */
  async verifyNobody(password: string): Promise<false> {
    this.#dummy ??= argon2.hash('no account has this password', this.#options);
    await this.verify(await this.#dummy, password);
    return false;
  }
}
