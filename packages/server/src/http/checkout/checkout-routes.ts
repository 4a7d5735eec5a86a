import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Keyring } from '../../core/keyring.js';
import { applyPaymentOutcome } from '../../core/order-lifecycle.js';
import { effectiveStatus } from '../../core/orders.js';
import { ApiError } from '../../errors/api-error.js';
import type { Clock } from '../../lib/clock.js';
import { type Currency, findCurrency, formatAmount } from '../../lib/money.js';
import type { Db } from '../../store/db.js';
import { findMerchant } from '../../store/queries/merchants.js';
import { findOrderById, type OrderStatus, type StoredOrder } from '../../store/queries/orders.js';
import { checkoutCspWithFormTarget } from '../security-headers.js';
import { CHECKOUT_CSS } from './checkout-css.js';
import { createCsrfCheck, csrfCookieHeader, newCsrfCookieValue, readCsrfCookies } from './checkout-csrf.js';
import { readCheckoutChoice, registerFormBody, singleField } from './checkout-form.js';
import { acceptsOutcome, type CheckoutPageView, type MessagePage, renderCheckoutPage, renderMessagePage } from './checkout-page.js';

export interface CheckoutDeps {
  db: Db;
  keyring: Keyring;
  clock: Clock;
  publicBaseUrl: string;
}

interface LinkParams {
  orderId: string;
  token: string;
}

/** An order whose link checked out: valid token, known, not expired. */
interface LinkedOrder {
  order: StoredOrder;
  status: OrderStatus;
  currency: Currency;
  merchantName: string;
  path: string;
}

// Ids are ord_ + 24 hex, tokens 43 base64url characters: anything far longer is not a link we made.
const MAX_PARAM_LENGTH = 64;

// One page for every reason a link is dead, so a visitor learns nothing
// about which orders exist, which tokens are close, or which have expired.
const NOT_FOUND: MessagePage = { title: 'Payment link not found', message: 'This payment link is not valid or has expired. Ask the merchant for a new one.' };
const NOT_VERIFIED: MessagePage = {
  title: 'Request not verified',
  message: 'We could not confirm this request came from the payment page. Open the payment link again and retry.',
};
const LIVE_ORDER: MessagePage = { title: 'Live order', message: 'Live orders are not paid on the sandbox checkout.' };

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** The token is a bearer credential for the order: request logs show the path without it. */
function redactedUrl(url: string): string {
  return url.replace(/^(\/checkout\/[^/?]*\/)[^/?]*/, '$1[redacted]');
}

/** The merchant's return_url with order_id and status added, its own query kept (URL re-encodes, never drops). */
function returnTarget(order: StoredOrder, status: OrderStatus): URL | undefined {
  if (!order.returnUrl) return undefined;
  const url = new URL(order.returnUrl);
  url.searchParams.set('order_id', order.orderRef);
  url.searchParams.set('status', status);
  return url;
}

/**
 * The hosted sandbox checkout behind `payment_link`: a server-rendered page
 * for one order and the form POST that pays, fails or parks it through
 * applyPaymentOutcome, the same transitions as the simulate API. Its own
 * scope: a urlencoded body parser and HTML errors apply here alone. Hidden
 * from the OpenAPI document: customers use it, not merchants' code.
 */
export async function registerCheckout(app: FastifyInstance, deps: CheckoutDeps): Promise<void> {
  const checkCsrf = createCsrfCheck(deps.keyring, deps.publicBaseUrl);
  // Secure from the scheme customers use: behind a TLS-terminating proxy our own socket is plain.
  const secureCookie = new URL(deps.publicBaseUrl).protocol === 'https:';
  const logSerializers = {
    req: (request: FastifyRequest) => ({ method: request.method, url: redactedUrl(request.url), remoteAddress: request.ip }),
  };

  /** The order a link names, or undefined for every way a link can be dead. The token is checked before the database is asked. */
  async function resolveLink(params: LinkParams): Promise<LinkedOrder | undefined> {
    const { orderId, token } = params;
    if (orderId.length > MAX_PARAM_LENGTH || token.length > MAX_PARAM_LENGTH) return undefined;
    if (!deps.keyring.verifyPaymentLinkToken(orderId, token)) return undefined;
    const order = await findOrderById(deps.db, orderId);
    if (!order) return undefined;
    // The link lives as long as the order can be paid: once expired, it is as dead as a forged one.
    const status = effectiveStatus(order, deps.clock.nowMs());
    if (status === 'EXPIRED') return undefined;
    const currency = findCurrency(order.currency);
    if (!currency) throw new Error(`order ${order.id} has unknown currency ${order.currency}`);
    const merchant = await findMerchant(deps.db, order.merchantId);
    if (!merchant) throw new Error(`order ${order.id} has no merchant`);
    return { order, status, currency, merchantName: merchant.name, path: `/checkout/${orderId}/${token}` };
  }

  await app.register(
    async function checkout(scope) {
      registerFormBody(scope);

      scope.setErrorHandler(function checkoutError(error: FastifyError, request, reply) {
        // Root hooks (https-only) still throw ApiErrors here; their public sentence suits a customer too.
        if (error instanceof ApiError) return sendHtml(reply, error.status, renderMessagePage({ title: 'Request refused', message: error.message }));
        if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          return sendHtml(reply, 415, renderMessagePage({ title: 'Unsupported form', message: 'Submit the payment form from the payment page.' }));
        }
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          return sendHtml(reply, 413, renderMessagePage({ title: 'Form too large', message: 'Submit the payment form from the payment page.' }));
        }
        if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
          return sendHtml(reply, 400, renderMessagePage({ title: 'Bad request', message: 'The request could not be read. Open the payment link again.' }));
        }
        request.log.error({ err: error }, 'unhandled error on the checkout page');
        return sendHtml(reply, 500, renderMessagePage({ title: 'Something went wrong', message: `Please try again in a moment. Reference: ${request.id}` }));
      });

      scope.setNotFoundHandler(function checkoutNotFound(_request, reply) {
        return sendHtml(reply, 404, renderMessagePage(NOT_FOUND));
      });

      scope.get('/assets/checkout.css', { schema: { hide: true } }, async function checkoutCss(_request, reply) {
        // The same bytes for everyone, no secrets: unlike the pages, a browser may keep it for an hour.
        return reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(CHECKOUT_CSS);
      });

      scope.get<{ Params: LinkParams }>('/:orderId/:token', { schema: { hide: true }, logSerializers }, async function checkoutPage(request, reply) {
        const linked = await resolveLink(request.params);
        if (!linked) return sendHtml(reply, 404, renderMessagePage(NOT_FOUND));
        const { order, status } = linked;
        const live = order.mode === 'live';
        let csrf: string | undefined;
        if (!live && acceptsOutcome(status)) {
          // Reuse the browser's cookie when it sent one, so two open tabs keep working.
          const existing = readCsrfCookies(request.headers.cookie)[0];
          const cookie = existing ?? newCsrfCookieValue();
          if (!existing) reply.header('set-cookie', csrfCookieHeader(cookie, secureCookie));
          csrf = deps.keyring.checkoutCsrfToken(cookie, order.id);
          const target = order.returnUrl ? checkoutCspWithFormTarget(new URL(order.returnUrl).origin) : undefined;
          // Chromium holds the redirect after the POST to this page's form-action: the merchant's origin must be in it.
          if (target) reply.header('content-security-policy', target);
        }
        const final = returnTarget(order, status);
        const view: CheckoutPageView = {
          merchantName: linked.merchantName,
          orderRef: order.orderRef,
          note: order.note,
          amount: formatAmount(order.amountMinor, linked.currency),
          currency: order.currency,
          status,
          live,
          formAction: linked.path,
          csrf,
          attemptMethod: status === 'PROCESSING' ? (order.payment?.method ?? null) : null,
          returnLink: final && !acceptsOutcome(status) ? final.href : null,
        };
        return sendHtml(reply, 200, renderCheckoutPage(view));
      });

      scope.post<{ Params: LinkParams }>('/:orderId/:token', { schema: { hide: true }, logSerializers }, async function checkoutSubmit(request, reply) {
        const linked = await resolveLink(request.params);
        if (!linked) return sendHtml(reply, 404, renderMessagePage(NOT_FOUND));
        const { order } = linked;
        const csrf = checkCsrf({
          cookieHeader: request.headers.cookie,
          originHeader: request.headers.origin,
          field: singleField(request.body, 'csrf'),
          orderId: order.id,
        });
        if (!csrf.ok) {
          request.log.warn({ order: order.id, reason: csrf.reason }, 'refused a checkout POST that failed the CSRF check');
          return sendHtml(reply, 403, renderMessagePage(NOT_VERIFIED));
        }
        if (order.mode === 'live') return sendHtml(reply, 403, renderMessagePage(LIVE_ORDER));
        const choice = readCheckoutChoice(request.body);
        if (!choice.ok) {
          return sendHtml(reply, 400, renderMessagePage({ title: 'Incomplete form', message: choice.problems.join(' '), link: { href: linked.path, text: 'Back to the payment page' } }));
        }

        const result = await applyPaymentOutcome(deps.db, deps.clock, order.id, choice.outcome, choice.method);
        if (!result.ok) {
          if (result.code === 'order_not_found') return sendHtml(reply, 404, renderMessagePage(NOT_FOUND));
          request.log.warn({ order: order.id, from: result.from, to: result.to }, 'refused an illegal order transition');
          const message =
            result.from === 'EXPIRED' ? 'This order has expired and can no longer be paid.' : `This order is ${result.from}; it can no longer become ${result.to}.`;
          return sendHtml(reply, 409, renderMessagePage({ title: 'Order already settled', message, link: { href: linked.path, text: 'See the order' } }));
        }

        // Back to the merchant, like a real gateway, whichever outcome it was: the merchant confirms with the status API.
        const target = returnTarget(order, result.to);
        // A return_url whose origin cannot be written into the policy would have its redirect blocked by
        // form-action: such a customer lands on our page instead, which links to the merchant.
        if (target && checkoutCspWithFormTarget(target.origin)) return reply.redirect(target.href, 303);
        return reply.redirect(linked.path, 303);
      });
    },
    { prefix: '/checkout' },
  );
}
