import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Delivery, type DeliveryAttempt, type Me, type Mode, WEBHOOK_EVENT_TYPES, type WebhookEndpoint } from '../api.js';
import { Alert, formatTime, ShownOnce, useReauth } from '../components.js';
import { useAction } from '../use-action.js';

export function WebhooksScreen(props: { me: Me; mode: Mode }) {
  const { mode } = props;
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [secret, setSecret] = useState<{ endpointUrl: string; value: string } | undefined>(undefined);
  const readOnly = props.me.user.role === 'viewer';

  async function load() {
    const result = await api.webhookEndpoints(mode);
    if (!result.ok) return setLoadError(result.error.message);
    setLoadError(undefined);
    setEndpoints(result.value);
  }
  useEffect(() => {
    setEndpoints(undefined);
    setSecret(undefined);
    void load();
  }, [mode]);

  return (
    <>
      <div class="page-head">
        <h1>Webhooks</h1>
        <p>Where Tijori sends {mode} events (order paid, failed, expired…), signed with the endpoint's secret.</p>
      </div>
      {secret ? (
        <section class="card card-highlight" data-testid="new-webhook-secret" aria-labelledby="whsec-title">
          <h2 id="whsec-title">Signing secret for {secret.endpointUrl}</h2>
          <p class="sub">Your receiver verifies each delivery with this secret. Copy it now: it is not shown again.</p>
          <ShownOnce value={secret.value} testId="new-webhook-secret-value" copyLabel="Copy secret" doneLabel="I have saved it" onDone={() => setSecret(undefined)} />
        </section>
      ) : null}
      {readOnly ? null : <NewEndpoint me={props.me} mode={mode} onCreated={async (url, value) => { if (value) setSecret({ endpointUrl: url, value }); await load(); }} />}
      <section class="card" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">{mode === 'live' ? 'Live' : 'Sandbox'} endpoints</h2>
        {loadError ? <Alert kind="error">{loadError}</Alert> : null}
        {endpoints === undefined && !loadError ? <p class="hint">Loading…</p> : null}
        {endpoints && endpoints.length === 0 ? <p class="empty">No {mode} endpoints yet.</p> : null}
        {endpoints && endpoints.length > 0 ? (
          <ul class="rows" data-testid="endpoints">
            {endpoints.map((e) => (
              <EndpointRow key={e.id} endpoint={e} me={props.me} readOnly={readOnly} onSecret={(value) => setSecret({ endpointUrl: e.url, value })} onChanged={load} />
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}

function NewEndpoint(props: { me: Me; mode: Mode; onCreated: (url: string, secret: string | undefined) => Promise<void> }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const { busy, error, run } = useAction();
  const reauth = useReauth(props.me.user.totpEnabled);

  function submit(event?: Event) {
    event?.preventDefault();
    const created = url.trim();
    void run(
      () => api.createWebhookEndpoint({ mode: props.mode, url: created, events, description: description.trim() || undefined }),
      async (result) => {
        setUrl('');
        setDescription('');
        setEvents([]);
        await props.onCreated(created, result.secret);
      },
      reauth.guard(() => submit()),
    );
  }
  function toggle(type: string) {
    setEvents(events.includes(type) ? events.filter((t) => t !== type) : [...events, type]);
  }

  return (
    <section class="card" aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">Add an endpoint</h2>
      <p class="sub">{props.mode === 'live' ? 'Live endpoints must use HTTPS.' : 'Sandbox endpoints may use http:// for local testing.'} Adding one may ask for your password again.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {reauth.form ?? (
        <form onSubmit={submit}>
          <div class="field">
            <label for="endpoint-url">Endpoint URL</label>
            <input id="endpoint-url" type="url" required value={url} placeholder="https://example.com/webhooks/tijori" onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="endpoint-description">Description (optional)</label>
            <input id="endpoint-description" type="text" value={description} maxLength={200} onInput={(e) => setDescription((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <fieldset class="field checks">
            <legend>Events</legend>
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" checked={events.includes(t)} onChange={() => toggle(t)} /> <span class="mono">{t}</span>
              </label>
            ))}
            <p class="hint">None ticked: every event, including ones added later to this list.</p>
          </fieldset>
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Adding…' : 'Add endpoint'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function EndpointRow(props: { endpoint: WebhookEndpoint; me: Me; readOnly: boolean; onSecret: (value: string) => void; onChanged: () => Promise<void> }) {
  const e = props.endpoint;
  const [open, setOpen] = useState(false);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [refresh, setRefresh] = useState(0);
  const action = useAction();
  const reauth = useReauth(props.me.user.totpEnabled);

  function rollSecret() {
    void action.run(
      () => api.rollWebhookSecret(e.id),
      async (rolled) => {
        props.onSecret(rolled.secret);
        await props.onChanged();
      },
      reauth.guard(rollSecret),
    );
  }
  function setEnabled(enabled: boolean) {
    void action.run(
      () => api.setWebhookEnabled(e.id, enabled),
      () => props.onChanged(),
      reauth.guard(() => setEnabled(enabled)),
    );
  }
  function sendTest() {
    setNotice(undefined);
    void action.run(
      () => api.sendTestEvent(e.id),
      () => {
        setNotice('Test event sent: a 1.00 INR sandbox order, paid. Its delivery shows below; refresh to see the receiver\'s answer.');
        setOpen(true);
        setRefresh(refresh + 1);
      },
      reauth.guard(sendTest),
    );
  }

  return (
    <li data-endpoint-id={e.id} class="endpoint-row">
      <div class="row-main">
        <p class="row-title">
          <span class="mono">{e.url}</span>{' '}
          {e.enabled ? <span class="badge badge-ok">Enabled</span> : <span class="badge badge-muted">Disabled</span>}
          {e.failingSince ? <span class="badge badge-warn">Failing since {formatTime(e.failingSince)}</span> : null}
        </p>
        <p class="row-meta">
          {e.description ? `${e.description} · ` : ''}
          {WEBHOOK_EVENT_TYPES.every((t) => e.events.includes(t)) ? 'all events' : e.events.join(', ')} · added {formatTime(e.createdAt)}
          {e.disabledReason ? ` · disabled: ${e.disabledReason}` : ''}
          {e.secretCount > 1 ? ' · the previous secret still verifies (roll overlap)' : ''}
        </p>
      </div>
      <div class="row-actions">
        {props.readOnly ? null : (
          <>
            {e.mode === 'sandbox' ? (
              <button
                type="button"
                class="secondary small"
                onClick={sendTest}
                disabled={action.busy || !e.enabled || !e.events.includes('payment.success')}
                title={e.events.includes('payment.success') ? undefined : 'The test event is a payment.success: subscribe the endpoint to it first'}
              >
                Send test event
              </button>
            ) : null}
            <button type="button" class="secondary small" onClick={rollSecret} disabled={action.busy}>
              Roll secret
            </button>
            <button type="button" class="secondary small" onClick={() => setEnabled(!e.enabled)} disabled={action.busy}>
              {e.enabled ? 'Disable' : 'Enable'}
            </button>
          </>
        )}
        <button type="button" class="secondary small" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide deliveries' : 'Deliveries'}
        </button>
      </div>
      {action.error || notice || reauth.form ? (
        <div class="row-panel">
          {action.error ? <Alert kind="error">{action.error}</Alert> : null}
          {notice ? <Alert kind="ok">{notice}</Alert> : null}
          {reauth.form}
        </div>
      ) : null}
      {open ? <Deliveries mode={e.mode} endpointId={e.id} refresh={refresh} readOnly={props.readOnly} /> : null}
    </li>
  );
}

function Deliveries(props: { mode: Mode; endpointId: string; refresh: number; readOnly: boolean }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [attempts, setAttempts] = useState<Record<string, DeliveryAttempt[]>>({});
  const action = useAction();

  async function load() {
    const result = await api.webhookDeliveries(props.mode, props.endpointId);
    if (!result.ok) return setError(result.error.message);
    setError(undefined);
    setDeliveries(result.value);
  }
  useEffect(() => {
    void load();
  }, [props.endpointId, props.refresh]);

  async function showAttempts(id: string) {
    if (attempts[id]) {
      const { [id]: _, ...rest } = attempts;
      return setAttempts(rest);
    }
    const result = await api.deliveryAttempts(id);
    if (!result.ok) return setError(result.error.message);
    setAttempts({ ...attempts, [id]: result.value });
  }
  function resend(id: string) {
    void action.run(() => api.resendDelivery(id), () => load());
  }

  return (
    <div class="row-panel deliveries" data-testid="deliveries">
      <div class="panel-head">
        <h3>Recent deliveries</h3>
        <button type="button" class="secondary small" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {action.error ? <Alert kind="error">{action.error}</Alert> : null}
      {deliveries === undefined && !error ? <p class="hint">Loading…</p> : null}
      {deliveries && deliveries.length === 0 ? <p class="empty">No deliveries yet. Send a test event to try the endpoint.</p> : null}
      {deliveries && deliveries.length > 0 ? (
        <div class="table-wrap">
        <table class="table stack">
          <thead>
            <tr>
              <th>Event</th>
              <th>Status</th>
              <th>HTTP</th>
              <th>Attempts</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <Fragment key={d.id}>
                <tr data-delivery-id={d.id}>
                  <td class="mono">{d.eventType}</td>
                  <td>
                    <span class={`badge ${d.status === 'delivered' ? 'badge-ok' : d.status === 'pending' ? '' : 'badge-error'}`}>{d.status}</span>
                  </td>
                  <td class="mono" data-label="HTTP" data-testid="delivery-status-code">
                    {d.lastStatusCode ?? (d.lastError ? d.lastError : '—')}
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td>{formatTime(d.createdAt)}</td>
                  <td class="cell-actions">
                    <button type="button" class="link" onClick={() => void showAttempts(d.id)}>
                      {attempts[d.id] ? 'Hide attempts' : 'Attempts'}
                    </button>
                    {props.readOnly ? null : (
                      <button type="button" class="link" onClick={() => resend(d.id)} disabled={action.busy}>
                        Resend
                      </button>
                    )}
                  </td>
                </tr>
                {attempts[d.id] ? (
                  <tr class="subrow">
                    <td colSpan={6}>
                      <ul class="attempts">
                        {attempts[d.id]!.map((a) => (
                          <li key={a.id}>
                            #{a.attempt} · {formatTime(a.attemptedAt)} · <span class="mono">{a.statusCode ?? a.error ?? 'no reply'}</span>
                            {a.latencyMs !== null ? ` · ${a.latencyMs} ms` : ''}
                            {a.responseBody ? <code class="snippet">{a.responseBody}</code> : null}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
        </div>
      ) : null}
    </div>
  );
}
