import type { FastifyInstance } from 'fastify';
import type { PaymentOutcome } from '../../core/order-lifecycle.js';
import type { PaymentMethod } from '../../store/queries/payment-attempts.js';

/**
 * The checkout form is three short fields (~100 bytes); 1 KiB leaves room
 * for a browser's encoding and nothing for a flood. Far below the API's
 * limit, which is sized for order batches.
 */
export const FORM_BODY_LIMIT_BYTES = 1024;

/**
 * The scope's only body parser: application/x-www-form-urlencoded, what an
 * HTML form sends with no script. Registered inside the checkout plugin so
 * the merchant API keeps accepting JSON alone. Any other Content-Type is
 * refused by Fastify (415). No charset handling: every valid value is
 * ASCII, so a body in another encoding simply fails validation.
 */
export function registerFormBody(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, function parseFormBody(_request, body, done) {
    done(null, new URLSearchParams(body as string));
  });
}

/** A field given exactly once; a repeated field is as bad as a missing one (which copy would we obey?). */
export function singleField(body: unknown, name: string): string | undefined {
  if (!(body instanceof URLSearchParams)) return undefined;
  const values = body.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

const OUTCOMES: readonly PaymentOutcome[] = ['success', 'failed', 'processing'];
const METHODS: readonly PaymentMethod[] = ['UPI', 'CARD', 'NET_BANKING'];

export type CheckoutChoice = { ok: true; outcome: PaymentOutcome; method: PaymentMethod } | { ok: false; problems: string[] };

/** The customer's choice from the form, or the sentences that say what was wrong with it. */
export function readCheckoutChoice(body: unknown): CheckoutChoice {
  const outcome = singleField(body, 'outcome');
  const method = singleField(body, 'payment_method');
  const problems: string[] = [];
  if (!OUTCOMES.includes(outcome as PaymentOutcome)) problems.push('Choose one of the buttons: pay, fail, or leave it processing.');
  if (!METHODS.includes(method as PaymentMethod)) problems.push('Choose a payment method: UPI, card or net banking.');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, outcome: outcome as PaymentOutcome, method: method as PaymentMethod };
}
