import { useEffect, useState } from 'preact/hooks';
import { api, GATEWAY_ORDER_ID, type Mode, type OrderDetail, type OrderSummary } from '../api.js';
import { Alert, formatTime } from '../components.js';

const STATUSES = ['UN_PAID', 'PROCESSING', 'PAID', 'FAILED', 'EXPIRED'] as const;

export function statusBadge(status: string): string {
  return status === 'PAID' ? 'badge badge-ok' : status === 'FAILED' ? 'badge badge-error' : status === 'EXPIRED' ? 'badge badge-muted' : 'badge badge-warn';
}

export function OrdersScreen(props: { mode: Mode }) {
  const { mode } = props;
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('');
  const [orders, setOrders] = useState<OrderSummary[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [selected, setSelected] = useState<string | undefined>(undefined);

  async function load(filter: { query: string; status: string }) {
    setError(undefined);
    const typed = filter.query.trim();
    // A gateway id (ord_…) names one order: open it rather than search the merchant's order_ids for it.
    if (GATEWAY_ORDER_ID.test(typed)) {
      setOrders([]);
      setSelected(typed);
      return;
    }
    const result = await api.orders({ mode, orderId: typed || undefined, status: filter.status || undefined });
    if (!result.ok) return setError(result.error.message);
    setOrders(result.value);
  }
  useEffect(() => {
    setOrders(undefined);
    setSelected(undefined);
    void load({ query, status });
  }, [mode]);

  function search(event: Event) {
    event.preventDefault();
    setSelected(undefined);
    void load({ query, status });
  }

  return (
    <>
      <div class="page-head">
        <h1>Orders</h1>
        <p>{mode === 'live' ? 'Live' : 'Sandbox'} orders, newest first. Open one to see its payment attempts.</p>
      </div>
      <section class="card">
        <form class="inline-form" onSubmit={search} role="search">
          <div class="field grow">
            <label for="order-search">Order id</label>
            <input id="order-search" type="text" value={query} placeholder="Your order_id or ord_…" onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="order-status">Status</label>
            <select id="order-status" value={status} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary">
            Search
          </button>
        </form>
        {error ? <Alert kind="error">{error}</Alert> : null}
        {orders === undefined && !error ? <p class="hint">Loading…</p> : null}
        {orders && orders.length === 0 && !selected ? <p class="empty">No {mode} orders match.</p> : null}
        {orders && orders.length > 0 ? (
          <div class="table-wrap">
            <table class="table stack" data-testid="orders">
              <thead>
                <tr>
                  <th>Order id</th>
                  <th>Amount</th>
                  <th>Status</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {orders.map((o) => (
                  <tr key={o.gatewayOrderId} aria-selected={selected === o.gatewayOrderId}>
                    <td>
                      <button type="button" class="link mono" onClick={() => setSelected(o.gatewayOrderId)}>
                        {o.orderId}
                      </button>
                      <span class="cell-sub mono">{o.gatewayOrderId}</span>
                    </td>
                    <td class="num">
                      {o.amount} {o.currency}
                    </td>
                    <td>
                      <span class={statusBadge(o.status)}>{o.status}</span>
                    </td>
                    <td>{formatTime(o.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {selected ? <OrderCard id={selected} onClose={() => setSelected(undefined)} /> : null}
    </>
  );
}

function OrderCard(props: { id: string; onClose: () => void }) {
  const [order, setOrder] = useState<OrderDetail | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setOrder(undefined);
    void api.order(props.id).then((r) => (r.ok ? setOrder(r.value) : setError(r.error.message)));
  }, [props.id]);

  return (
    <section class="card" aria-labelledby="order-title" data-testid="order-detail">
      <div class="panel-head">
        <h2 id="order-title">
          Order <span class="mono">{order?.orderId ?? props.id}</span>
        </h2>
        <button type="button" class="secondary small" onClick={props.onClose}>
          Close
        </button>
      </div>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {!order && !error ? <p class="hint">Loading…</p> : null}
      {order ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <span class={statusBadge(order.status)}>{order.status}</span>
            </dd>
            <dt>Amount</dt>
            <dd>
              {order.amount} {order.currency}
            </dd>
            <dt>Gateway id</dt>
            <dd class="mono">{order.gatewayOrderId}</dd>
            {order.note ? (
              <>
                <dt>Note</dt>
                <dd>{order.note}</dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>{formatTime(order.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>{formatTime(order.expiresAt)}</dd>
          </dl>
          <h3 class="section-title">Payment attempts</h3>
          {order.payments.length === 0 ? (
            <p class="empty">No payment attempt yet: the customer has not paid.</p>
          ) : (
            <div class="table-wrap">
              <table class="table stack" data-testid="payment-attempts">
                <thead>
                  <tr>
                    <th>Payment</th>
                    <th>Method</th>
                    <th>Status</th>
                    <th>Started</th>
                    <th>Completed</th>
                  </tr>
                </thead>
                <tbody>
                  {order.payments.map((p) => (
                    <tr key={p.id}>
                      <td class="mono">{p.id}</td>
                      <td>{p.method}</td>
                      <td>
                        <span class={statusBadge(p.status)}>{p.status}</span>
                        {p.bankReference ? <span class="cell-sub mono">ref {p.bankReference}</span> : null}
                      </td>
                      <td>{formatTime(p.startedAt)}</td>
                      <td>{p.completedAt ? formatTime(p.completedAt) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </section>
  );
}
