import type { HttpClient, RequestOptions } from './http-client.js';
import type { Order, SimulatePaymentParams } from './types.js';

/** Sandbox keys (pk_test_) only: what the hosted checkout page does, without a browser, for your automated tests. */
export class Sandbox {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Pays, fails or leaves processing an order, through the same transitions (and webhooks) as a customer's payment. */
  simulate(params: SimulatePaymentParams, options?: RequestOptions): Promise<Order> {
    return this.#http.post<Order>('/api/v3/sandbox/order/simulate', params, options);
  }
}
