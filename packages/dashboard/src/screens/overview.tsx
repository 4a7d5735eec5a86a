import { useEffect, useState } from 'preact/hooks';
import { api, type Me, type Mode, type OrderSummary, type SecurityAlert } from '../api.js';
import { Alert, formatTime } from '../components.js';
import { href, onLinkClick } from '../router.js';
import { statusBadge } from './orders.js';

/** The landing screen: who is signed in, for which merchant, and whether the account is protected by 2FA. */
export function OverviewScreen(props: { me: Me; mode: Mode }) {
  const { me, mode } = props;
  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <p>{me.merchant.name} at a glance.</p>
      </div>
      {me.user.totpEnabled ? null : (
        <div class="alert alert-warn">
          Your account is protected by a password alone.{' '}
          <a href={href('/security')} onClick={onLinkClick('/security')}>
            Turn on two-factor authentication
          </a>
          .
        </div>
      )}
      <div class="grid grid-2">
        <section class="card">
          <h2>Account</h2>
          <p class="sub">The merchant and user this session belongs to.</p>
          <dl class="facts">
            <dt>Merchant</dt>
            <dd>{me.merchant.name}</dd>
            <dt>Merchant id</dt>
            <dd class="mono">{me.merchant.id}</dd>
            <dt>Signed in as</dt>
            <dd>{me.user.email}</dd>
            <dt>Role</dt>
            <dd>{me.user.role}</dd>
            <dt>2FA</dt>
            <dd>{me.user.totpEnabled ? <span class="badge badge-ok">On</span> : <span class="badge badge-warn">Off</span>}</dd>
          </dl>
        </section>
        <RecentOrders mode={mode} />
      </div>
      <RecentAlerts me={me} mode={mode} />
    </>
  );
}

function RecentOrders(props: { mode: Mode }) {
  const [orders, setOrders] = useState<OrderSummary[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setOrders(undefined);
    void api.orders({ mode: props.mode, orderId: undefined, status: undefined }).then((r) => (r.ok ? setOrders(r.value.slice(0, 5)) : setError(r.error.message)));
  }, [props.mode]);
  return (
    <section class="card" aria-labelledby="recent-orders-title">
      <h2 id="recent-orders-title">Recent orders</h2>
      <p class="sub">{props.mode === 'live' ? 'Live' : 'Sandbox'} mode, newest first.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {orders === undefined && !error ? <p class="hint">Loading…</p> : null}
      {orders && orders.length === 0 ? <p class="empty">No {props.mode} orders yet.</p> : null}
      {orders && orders.length > 0 ? (
        <ul class="rows" data-testid="recent-orders">
          {orders.map((o) => (
            <li key={o.gatewayOrderId}>
              <div class="row-main">
                <p class="row-title mono">{o.orderId}</p>
                <p class="row-meta">
                  {o.amount} {o.currency} · {formatTime(o.createdAt)}
                </p>
              </div>
              <span class={statusBadge(o.status)}>{o.status}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <p class="card-foot">
        <a href={href('/orders')} onClick={onLinkClick('/orders')}>
          All orders
        </a>
      </p>
    </section>
  );
}

/** Open security alerts (signature failures, addresses outside an allowlist, revoked keys used…), acknowledged here once looked into. */
function RecentAlerts(props: { me: Me; mode: Mode }) {
  const [alerts, setAlerts] = useState<SecurityAlert[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  async function load() {
    const result = await api.alerts(props.mode, 'open', 10);
    if (!result.ok) return setError(result.error.message);
    setError(undefined);
    setAlerts(result.value);
  }
  useEffect(() => {
    setAlerts(undefined);
    void load();
  }, [props.mode]);
  async function acknowledge(id: string) {
    setBusy(id);
    const result = await api.acknowledgeAlert(id, undefined);
    setBusy(undefined);
    if (!result.ok) return setError(result.error.message);
    await load();
  }
  return (
    <section class="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Recent security alerts</h2>
      <p class="sub">Open {props.mode} alerts about your API keys. Acknowledge one once you have looked into it.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {alerts === undefined && !error ? <p class="hint">Loading…</p> : null}
      {alerts && alerts.length === 0 ? <p class="empty">No open alerts.</p> : null}
      {alerts && alerts.length > 0 ? (
        <ul class="rows" data-testid="alerts">
          {alerts.map((a) => (
            <li key={a.id}>
              <div class="row-main">
                <p class="row-title">
                  {a.summary} <span class={`badge ${a.severity === 'high' || a.severity === 'critical' ? 'badge-error' : 'badge-warn'}`}>{a.severity}</span>
                </p>
                <p class="row-meta">
                  <span class="mono">{a.rule}</span>
                  {a.keyId ? <> · <span class="mono">{a.keyId}</span></> : null}
                  {a.clientIp ? ` · ${a.clientIp}` : ''} · {a.occurrences}× · last {formatTime(a.lastSeenAt)}
                </p>
              </div>
              {props.me.user.role === 'viewer' ? null : (
                <button type="button" class="secondary small" onClick={() => void acknowledge(a.id)} disabled={busy === a.id}>
                  {busy === a.id ? 'Acknowledging…' : 'Acknowledge'}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
