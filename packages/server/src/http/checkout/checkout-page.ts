import type { OrderStatus } from '../../store/queries/orders.js';

/** Where the pages load their stylesheet: the one same-origin resource style-src 'self' admits. */
export const CHECKOUT_CSS_PATH = '/checkout/assets/checkout.css';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Every interpolated value goes through this, in text and in (always
 * double-quoted) attributes alike: merchant names, notes and order ids are
 * chosen by merchants, and one page must never run what another party wrote.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export const PAYMENT_METHODS = [
  { value: 'UPI', label: 'UPI' },
  { value: 'CARD', label: 'Card' },
  { value: 'NET_BANKING', label: 'Net banking' },
] as const;

/** What the checkout page shows; built by the route from the order, its merchant and the CSRF field. */
export interface CheckoutPageView {
  merchantName: string;
  /** The merchant's own order id. */
  orderRef: string;
  note: string | null;
  /** Already formatted with the currency's minor digits, e.g. "105.00". */
  amount: string;
  currency: string;
  /** The effective status (never EXPIRED here: an expired order's page is a 404). */
  status: OrderStatus;
  live: boolean;
  /** The page's own path, which the form posts back to. */
  formAction: string;
  /** The signed double-submit field; absent when the page has no form. */
  csrf: string | undefined;
  /** The method of the open attempt of a PROCESSING order, which the outcome completes. */
  attemptMethod: string | null;
  /** The merchant's return_url with order_id and status, offered as a link once the order is final. */
  returnLink: string | null;
}

/** True while the customer may still act: the page shows the buttons. */
export function acceptsOutcome(status: OrderStatus): boolean {
  return status === 'UN_PAID' || status === 'PROCESSING';
}

function layout(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${CHECKOUT_CSS_PATH}">
</head>
<body>
<main>
<p class="banner">Tijori sandbox checkout</p>
${main}
</main>
<footer>Simulated payments: no money moves.</footer>
</body>
</html>
`;
}

function summary(view: CheckoutPageView): string {
  const note = view.note ? `<dt>Note</dt><dd>${escapeHtml(view.note)}</dd>` : '';
  return `<section class="summary">
<p class="merchant">${escapeHtml(view.merchantName)}</p>
<p class="amount"><span class="currency">${escapeHtml(view.currency)}</span> ${escapeHtml(view.amount)}</p>
<dl class="details"><dt>Order</dt><dd>${escapeHtml(view.orderRef)}</dd>${note}</dl>
</section>`;
}

const FINAL_STATE: Partial<Record<OrderStatus, { className: string; text: string }>> = {
  PAID: { className: 'state-paid', text: 'Payment successful. This order is paid.' },
  FAILED: { className: 'state-failed', text: 'Payment failed. This order can no longer be paid.' },
  EXPIRED: { className: 'state-failed', text: 'This order has expired.' },
};

function form(view: CheckoutPageView): string {
  // A PROCESSING order already has an attempt with its method; the outcome completes that attempt.
  const methods = view.attemptMethod
    ? `<p class="state state-processing">A payment by ${escapeHtml(view.attemptMethod)} is processing. Complete it:</p>
<input type="hidden" name="payment_method" value="${escapeHtml(view.attemptMethod)}">`
    : `<fieldset>
<legend>Payment method</legend>
${PAYMENT_METHODS.map(
  (m, i) => `<label class="method"><input type="radio" name="payment_method" value="${m.value}"${i === 0 ? ' checked' : ''}><span>${m.label}</span></label>`,
).join('\n')}
</fieldset>`;
  const processing = view.status === 'UN_PAID' ? '\n<button type="submit" name="outcome" value="processing" class="hold">Leave it processing</button>' : '';
  // Buttons carry the outcome, so the page needs no script: the clicked one is the only one submitted.
  return `<form method="post" action="${escapeHtml(view.formAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf ?? '')}">
${methods}
<div class="actions">
<button type="submit" name="outcome" value="success" class="pay">Pay ${escapeHtml(view.currency)} ${escapeHtml(view.amount)}</button>
<button type="submit" name="outcome" value="failed" class="fail">Fail the payment</button>${processing}
</div>
</form>`;
}

function returnLink(view: CheckoutPageView): string {
  return view.returnLink ? `\n<a class="link" href="${escapeHtml(view.returnLink)}">Return to ${escapeHtml(view.merchantName)}</a>` : '';
}

/** The checkout page for one order, in whichever state it is. */
export function renderCheckoutPage(view: CheckoutPageView): string {
  let body: string;
  if (view.live) {
    body = `<p class="notice">This is a live order. Live orders are not paid on the sandbox checkout; nothing can be done with it here.</p>`;
  } else if (acceptsOutcome(view.status) && view.csrf !== undefined) {
    body = form(view);
  } else {
    const state = FINAL_STATE[view.status] ?? { className: 'state-processing', text: `This order is ${view.status}.` };
    body = `<p class="state ${state.className}">${escapeHtml(state.text)}</p>${returnLink(view)}`;
  }
  return layout(`Pay ${view.merchantName}`, `${summary(view)}\n<section class="body">\n${body}\n</section>`);
}

export interface MessagePage {
  title: string;
  message: string;
  /** A way back, e.g. to the order's page after a refused transition. */
  link?: { href: string; text: string };
}

/** Error and refusal pages: a sentence for the customer, nothing about our internals. */
export function renderMessagePage(page: MessagePage): string {
  const link = page.link ? `\n<a class="link" href="${escapeHtml(page.link.href)}">${escapeHtml(page.link.text)}</a>` : '';
  return layout(page.title, `<section class="body">
<h1 class="title">${escapeHtml(page.title)}</h1>
<p class="state state-error">${escapeHtml(page.message)}</p>${link}
</section>`);
}
