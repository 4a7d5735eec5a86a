import { TijoriConflictError } from './errors.js';
import type { AttemptTrace, HttpClient, RequestOptions } from './http-client.js';
import { differenceFromCreate } from './same-order.js';
import type { CreateOrderParams, Order, OrderId } from './types.js';

export class Orders {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Creates an order. Idempotent across this call's own retries: when an
   * attempt may have been carried out without its reply arriving (a dropped
   * connection, a timeout, a 5xx) and a later attempt is refused as
   * duplicate_order_id, the order under that order_id is read back and
   * returned if it is the one asked for (same amount, currency, service type,
   * note and return URL). Otherwise the duplicate is a TijoriConflictError.
   */
  async create(params: CreateOrderParams, options?: RequestOptions): Promise<Order> {
    const trace: AttemptTrace = { mayHaveBeenProcessed: false };
    try {
      return await this.#http.post<Order>('/api/v3/pg/order/create', params, options, trace);
    } catch (err) {
      if (!(err instanceof TijoriConflictError) || err.errorCode !== 'duplicate_order_id' || !trace.mayHaveBeenProcessed) throw err;
      const existing = await this.status(params.order_id, options);
      const difference = differenceFromCreate(params, existing);
      if (difference === undefined) return existing;
      throw new TijoriConflictError(
        `${err.message} An earlier attempt of this call may have reached the gateway, but the order under this order_id is not the one asked for (${difference}): another order already uses it.`,
        { status: err.status, errorCode: err.errorCode, requestId: err.requestId, details: err.details },
      );
    }
  }

  /** Reads an order by your order_id: the source of truth for its state. */
  status(orderId: OrderId, options?: RequestOptions): Promise<Order> {
    return this.#http.post<Order>('/api/v3/pg/order/status', { order_id: orderId }, options);
  }
}
