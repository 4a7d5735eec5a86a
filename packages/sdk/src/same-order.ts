/**
 * Whether an existing order is the one a create asked for: what an
 * idempotent create checks before it hands back an order it found under its
 * order_id instead of the one it tried to create.
 */
import type { CreateOrderParams, Order } from './types.js';

/** The first field where the order differs from the create, described; undefined when it is the same order. */
export function differenceFromCreate(params: CreateOrderParams, order: Order): string | undefined {
  if (!sameDecimal(params.order_amount, order.order_amount)) return `order_amount is ${order.order_amount}, not ${params.order_amount}`;
  if (params.order_currency !== order.order_currency) return `order_currency is ${order.order_currency}, not ${params.order_currency}`;
  if (params.service_type !== order.service_type) return `service_type is ${order.service_type}, not ${params.service_type}`;
  if ((params.order_note ?? null) !== (order.order_note ?? null)) return 'order_note differs';
  if ((params.return_url ?? null) !== (order.return_url ?? null)) return 'return_url differs';
  return undefined;
}

/** "105", 105, "105.0" and "105.00" are one amount; compared as decimal text, never as floats. */
export function sameDecimal(a: string | number, b: string | number): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return x !== undefined && y !== undefined && x.whole === y.whole && x.fraction === y.fraction;
}

function decimalParts(value: string | number): { whole: string; fraction: string } | undefined {
  const match = /^([0-9]+)(?:\.([0-9]*))?$/.exec(typeof value === 'number' ? String(value) : value.trim());
  if (match === null) return undefined;
  return { whole: match[1]!.replace(/^0+(?=.)/, ''), fraction: (match[2] ?? '').replace(/0+$/, '') };
}
