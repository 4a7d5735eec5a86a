import type { FastifyInstance } from 'fastify';
import { kekStatus, rotateKek } from '../../core/kek-rotation.js';
import type { Keyring } from '../../core/keyring.js';
import { eraseMerchant } from '../../core/merchant-erasure.js';
import { ApiError } from '../../errors/api-error.js';
import type { KeyProvider } from '../../kek/key-provider.js';
import type { Clock } from '../../lib/clock.js';
import { findCurrency, formatAmount } from '../../lib/money.js';
import type { Db } from '../../store/db.js';
import { findMerchant, merchantErasedAt } from '../../store/queries/merchants.js';
import { findOrdersByCustomer, type StoredOrder } from '../../store/queries/orders.js';
import { merchantView } from './admin-views.js';

export interface DataProtectionDeps {
  db: Db;
  keyring: Keyring;
  keyProvider: KeyProvider;
  clock: Clock;
  /** Called after an erasure revoked keys, so this process forgets its cached copies at once. */
  onKeysChanged(apiKeys: readonly string[]): void;
}

const MERCHANT_PARAM = { type: 'object', required: ['merchantId'], properties: { merchantId: { type: 'string', pattern: '^mer_[0-9a-f]{24}$' } } } as const;

function statusView(s: Awaited<ReturnType<typeof kekStatus>>) {
  return { current_kek: s.current, available_keks: s.available, data_keys_by_kek: s.dataKeysByKek.map((k) => ({ kek_id: k.kekId, data_keys: k.count })) };
}

function orderSummary(o: StoredOrder) {
  const currency = findCurrency(o.currency);
  return {
    gateway_order_id: o.id,
    order_id: o.orderRefNumeric ? Number(o.orderRef) : o.orderRef,
    mode: o.mode === 'test' ? 'sandbox' : 'live',
    order_status: o.status,
    order_amount: currency ? formatAmount(o.amountMinor, currency) : String(o.amountMinor),
    order_currency: o.currency,
    created_at: o.createdAt.toISOString(),
  };
}

/**
 * The operator's data-protection surface: KEK status and rotation, the
 * blind-index look-up of a customer's orders, and crypto-shredding a
 * merchant. In the admin API's scope (its token check applies).
 */
export function dataProtectionRoutes(app: FastifyInstance, deps: DataProtectionDeps): void {
  const { db, keyring, clock } = deps;

  app.get('/admin/v1/kek', { schema: { summary: 'The KEK new data keys are wrapped with, the KEKs this process can unwrap with, and how many data keys each wraps', tags: ['admin', 'keys'] } }, async () =>
    statusView(await kekStatus(db, deps.keyProvider)),
  );

  app.post('/admin/v1/kek/rotate', {
    schema: { summary: 'Rewrap every data key under the current KEK (online; rows are not re-encrypted). Afterwards the old KEK can be removed.', tags: ['admin', 'keys'] },
    handler: async () => {
      const rewrapped = await rotateKek(db, deps.keyProvider, clock);
      return { rewrapped, ...statusView(await kekStatus(db, deps.keyProvider)) };
    },
  });

  app.get<{ Params: { merchantId: string }; Querystring: { customer_email?: string; customer_phone?: string } }>('/admin/v1/merchants/:merchantId/orders', {
    schema: {
      summary: "A merchant's orders for one customer, by email or phone: matched by a keyed blind index, never by the stored plaintext (there is none)",
      tags: ['admin'],
      params: MERCHANT_PARAM,
      querystring: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        properties: { customer_email: { type: 'string', minLength: 3, maxLength: 254 }, customer_phone: { type: 'string', minLength: 4, maxLength: 32 } },
      },
    },
    handler: async (request) => {
      const merchant = await findMerchant(db, request.params.merchantId);
      if (!merchant) throw new ApiError('merchant_not_found');
      const { customer_email: email, customer_phone: phone } = request.query;
      const [field, value] = email !== undefined ? (['email', email] as const) : (['phone', phone as string] as const);
      const orders = await findOrdersByCustomer(db, merchant.id, field, keyring.blindIndex(merchant.id, field, value), 100);
      return { orders: orders.map(orderSummary) };
    },
  });

  app.post<{ Params: { merchantId: string }; Body: { confirm: string } }>('/admin/v1/merchants/:merchantId/erase', {
    schema: {
      summary: "Crypto-shred a merchant: destroy its data key, so its customers' data and its secrets can never be decrypted again; revoke its keys and turn off its webhooks. Irreversible.",
      tags: ['admin'],
      params: MERCHANT_PARAM,
      body: { type: 'object', additionalProperties: false, required: ['confirm'], properties: { confirm: { type: 'string', description: 'The merchant id again, to confirm.' } } },
    },
    handler: async (request) => {
      const merchant = await findMerchant(db, request.params.merchantId);
      if (!merchant) throw new ApiError('merchant_not_found');
      if (request.body.confirm !== merchant.id) throw new ApiError('validation_failed', 'confirm must repeat the merchant id: erasing cannot be undone.');
      const erasure = await eraseMerchant(db, keyring, clock, merchant.id);
      deps.onKeysChanged(erasure.revokedApiKeys);
      const erasedAt = await merchantErasedAt(db, merchant.id);
      return {
        merchant: { ...merchantView((await findMerchant(db, merchant.id)) ?? merchant), erased_at: erasedAt?.toISOString() ?? null },
        destroyed_data_keys: erasure.destroyedDataKeys,
        revoked_api_keys: erasure.revokedApiKeys,
      };
    },
  });
}
