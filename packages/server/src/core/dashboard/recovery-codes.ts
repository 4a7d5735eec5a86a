import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
// Crockford-like alphabet without 0/o, 1/l/i: codes are read off paper.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * Ten one-time codes of 16 characters from a 31-letter alphabet (79 bits
 * each), shown once as xxxx-xxxx-xxxx-xxxx. So many bits that SHA-256 is
 * enough to store them: a slow hash protects guessable secrets, and these are not.
 */
export function newRecoveryCodes(): string[] {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    let code = '';
    // Rejection sampling keeps every letter equally likely (256 is not a multiple of 31).
    while (code.length < 16) {
      for (const byte of randomBytes(24)) {
        if (byte < 248 && code.length < 16) code += ALPHABET[byte % 31];
      }
    }
    codes.push(code.match(/.{4}/g)!.join('-'));
  }
  return codes;
}

/** The stored form; case, spaces and hyphens as typed do not matter. */
export function hashRecoveryCode(code: string): string {
  const normalised = code.toLowerCase().replace(/[\s-]/g, '');
  return createHash('sha256').update(`tijori-recovery-code\n${normalised}`).digest('base64url');
}

/** A code as a user might type it: 16 letters and digits, hyphens or spaces between. */
export function looksLikeRecoveryCode(text: string): boolean {
  return /^[a-z0-9]{16}$/i.test(text.replace(/[\s-]/g, ''));
}
