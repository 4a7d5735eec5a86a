import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey, FieldCipher } from '../lib/field-cipher.js';
import type { Secret } from '../lib/secret.js';
import type { Queryable } from '../store/db.js';
import { getSetting, putSettingOnce } from '../store/queries/settings.js';

const CHECK_SETTING = 'master_key_check';
const CHECK_PLAINTEXT = 'tijori master key check v1';

/** The keys derived from the master key, each for one purpose. */
export class Keyring {
  readonly fields: FieldCipher;
  readonly #linkKey: Buffer;
  readonly #checkoutCsrfKey: Buffer;

  constructor(masterKey: Secret<Buffer>) {
    this.fields = new FieldCipher(deriveKey(masterKey.reveal(), 'field-encryption/v1'));
    this.#linkKey = deriveKey(masterKey.reveal(), 'payment-link/v1');
    this.#checkoutCsrfKey = deriveKey(masterKey.reveal(), 'checkout-csrf/v1');
  }

  /** An unguessable, unforgeable token naming one order, so payment links need no stored secret. */
  paymentLinkToken(orderId: string): string {
    return createHmac('sha256', this.#linkKey).update(orderId).digest('base64url');
  }

  verifyPaymentLinkToken(orderId: string, token: string): boolean {
    const expected = Buffer.from(this.paymentLinkToken(orderId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * The checkout form's CSRF field (signed double-submit): binds the
   * browser's random cookie to one order. A site that can plant a cookie
   * (a sibling subdomain) still cannot compute the field without this key,
   * and a field lifted from one page fits no other cookie or order. The
   * cookie value is fixed-length base64url, so the newline cannot be forged
   * into a different (cookie, order) pair.
   */
  checkoutCsrfToken(cookieValue: string, orderId: string): string {
    return createHmac('sha256', this.#checkoutCsrfKey).update(`${cookieValue}\n${orderId}`).digest('base64url');
  }

  verifyCheckoutCsrfToken(cookieValue: string, orderId: string, token: string): boolean {
    const expected = Buffer.from(this.checkoutCsrfToken(cookieValue, orderId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * Refuses to run with a master key other than the one the database was
   * written under: better a clear start-up error than every request failing
   * to decrypt. The first start records a check value.
   */
  async assertMatches(db: Queryable): Promise<void> {
    const existing = await getSetting(db, CHECK_SETTING);
    if (!existing) {
      await putSettingOnce(db, CHECK_SETTING, this.fields.encrypt(CHECK_PLAINTEXT, `settings.${CHECK_SETTING}`));
      return this.assertMatches(db);
    }
    let ok = false;
    try {
      ok = this.fields.decrypt(existing, `settings.${CHECK_SETTING}`) === CHECK_PLAINTEXT;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new Error('The master key does not match the one this database was written with. Supply the original TIJORI_MASTER_KEY.');
    }
  }
}
