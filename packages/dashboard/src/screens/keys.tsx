import { useEffect, useState } from 'preact/hooks';
import { api, type ApiKeyInfo, type IssuedSecret, type Me, type Mode } from '../api.js';
import { Alert, CopyButton, formatTime, useReauth } from '../components.js';
import { useAction } from '../use-action.js';

/** How long the old secret keeps verifying after a roll: long enough to deploy the new one everywhere. */
const OVERLAPS: readonly { seconds: number; label: string }[] = [
  { seconds: 0, label: 'No overlap: the old secret stops now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 7 * 86_400, label: '7 days' },
];

export function KeysScreen(props: { me: Me; mode: Mode }) {
  const { mode } = props;
  const [keys, setKeys] = useState<ApiKeyInfo[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [issued, setIssued] = useState<IssuedSecret | undefined>(undefined);
  const [label, setLabel] = useState('');
  const create = useAction();
  const reauth = useReauth(props.me.user.totpEnabled);
  const readOnly = props.me.user.role === 'viewer';

  async function load() {
    const result = await api.keys(mode);
    if (!result.ok) return setLoadError(result.error.message);
    setLoadError(undefined);
    setKeys(result.value);
  }
  useEffect(() => {
    setKeys(undefined);
    setIssued(undefined);
    void load();
  }, [mode]);

  function createKey(event?: Event) {
    event?.preventDefault();
    void create.run(
      () => api.createKey({ mode, label: label.trim() || undefined }),
      async (secret) => {
        setLabel('');
        setIssued(secret);
        await load();
      },
      reauth.guard(() => createKey()),
    );
  }

  return (
    <>
      <div class="page-head">
        <h1>API keys</h1>
        <p>{mode === 'live' ? 'Live keys take real payments.' : 'Sandbox keys: test orders, no real money.'} A key's secret is shown once, when it is created or rolled.</p>
      </div>
      {issued ? <NewSecret secret={issued} onDone={() => setIssued(undefined)} /> : null}
      {readOnly ? null : (
        <section class="card" aria-labelledby="new-key-title">
          <h2 id="new-key-title">New {mode} key</h2>
          <p class="sub">{mode === 'live' ? 'Creating a live key may ask for your password again.' : 'For your test integration.'}</p>
          {create.error ? <Alert kind="error">{create.error}</Alert> : null}
          {reauth.form ?? (
            <form class="inline-form" onSubmit={createKey}>
              <div class="field grow">
                <label for="key-label">Label (optional)</label>
                <input id="key-label" type="text" value={label} maxLength={100} placeholder="e.g. Website checkout" onInput={(e) => setLabel((e.currentTarget as HTMLInputElement).value)} />
              </div>
              <button type="submit" class="primary" disabled={create.busy}>
                {create.busy ? 'Creating…' : `Create ${mode} key`}
              </button>
            </form>
          )}
        </section>
      )}
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">{mode === 'live' ? 'Live' : 'Sandbox'} keys</h2>
        {loadError ? <Alert kind="error">{loadError}</Alert> : null}
        {keys === undefined && !loadError ? <p class="hint">Loading…</p> : null}
        {keys && keys.length === 0 ? <p class="empty">No {mode} keys yet.</p> : null}
        {keys && keys.length > 0 ? (
          <ul class="rows" data-testid="keys">
            {keys.map((k) => (
              <KeyRow key={k.id} k={k} me={props.me} readOnly={readOnly} onIssued={setIssued} onChanged={load} />
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}

/** A secret just issued: shown once, with a copy button; gone when dismissed or when the screen is left. */
function NewSecret(props: { secret: IssuedSecret; onDone: () => void }) {
  const { secret } = props;
  return (
    <section class="card card-highlight" aria-labelledby="secret-title" data-testid="new-secret">
      <h2 id="secret-title">{secret.rolled ? 'New secret for ' : 'Your new key '}<span class="mono">{secret.apiKey}</span></h2>
      <p class="sub">Copy the secret now and store it in your server's configuration. It is not shown again: if you lose it, roll the key.</p>
      <dl class="facts">
        <dt>API key</dt>
        <dd class="mono">{secret.apiKey}</dd>
        <dt>Secret</dt>
        <dd>
          <code class="secret" data-testid="new-secret-value">
            {secret.secretKey}
          </code>
        </dd>
        {secret.previousValidUntil ? (
          <>
            <dt>Old secret</dt>
            <dd>still verifies until {formatTime(secret.previousValidUntil)}</dd>
          </>
        ) : null}
      </dl>
      <div class="actions">
        <CopyButton text={secret.secretKey} label="Copy secret" />
        <button type="button" class="primary small" onClick={props.onDone}>
          I have saved it
        </button>
      </div>
    </section>
  );
}

type Panel = 'none' | 'roll' | 'ips' | 'schemes' | 'revoke';

const SCHEMES = ['v1', 'v2'] as const;

function KeyRow(props: { k: ApiKeyInfo; me: Me; readOnly: boolean; onIssued: (s: IssuedSecret) => void; onChanged: () => Promise<void> }) {
  const { k } = props;
  const [panel, setPanel] = useState<Panel>('none');
  const [overlap, setOverlap] = useState(86_400);
  const [ips, setIps] = useState(k.ipAllowlist.join('\n'));
  const [schemes, setSchemes] = useState<string[]>(k.allowedSchemes);
  const action = useAction();
  const reauth = useReauth(props.me.user.totpEnabled);
  const active = k.status === 'active';

  function roll(event?: Event) {
    event?.preventDefault();
    void action.run(
      () => api.rollKey(k.id, overlap),
      async (secret) => {
        setPanel('none');
        props.onIssued(secret);
        await props.onChanged();
      },
      reauth.guard(() => roll()),
    );
  }
  function saveIps(event?: Event) {
    event?.preventDefault();
    const entries = ips.split(/[\s,]+/).filter((s) => s !== '');
    void action.run(
      () => api.setKeyAllowedIps(k.id, entries),
      async () => {
        setPanel('none');
        await props.onChanged();
      },
      reauth.guard(() => saveIps()),
    );
  }
  function saveSchemes(event?: Event) {
    event?.preventDefault();
    void action.run(
      () => api.setKeySchemes(k.id, schemes),
      async () => {
        setPanel('none');
        await props.onChanged();
      },
      reauth.guard(() => saveSchemes()),
    );
  }
  function revoke() {
    void action.run(
      () => api.revokeKey(k.id),
      async () => {
        setPanel('none');
        await props.onChanged();
      },
      reauth.guard(() => revoke()),
    );
  }

  return (
    <li data-key-id={k.id} class="key-row">
      <div class="row-main">
        <p class="row-title">
          <span class="mono">{k.apiKey}</span> {k.label ? <span class="row-label">{k.label}</span> : null}{' '}
          <span class={`badge ${active ? 'badge-ok' : 'badge-muted'}`}>{k.status}</span>
          {k.mode === 'live' ? <span class="badge badge-live">live</span> : <span class="badge">sandbox</span>}
          {k.rotationDue ? <span class="badge badge-warn">Rotation due</span> : null}
        </p>
        <dl class="facts compact">
          <dt>Last used</dt>
          <dd>{k.lastUsedAt ? `${formatTime(k.lastUsedAt)}${k.lastUsedIp ? ` from ${k.lastUsedIp}` : ''}` : 'never'}</dd>
          <dt>Allowed IPs</dt>
          <dd>
            {k.ipAllowlist.length ? <span class="mono">{k.ipAllowlist.join(', ')}</span> : 'any address'}
            {k.ipAllowlist.length && k.ipAllowlistMode === 'report' ? ' (report only)' : ''}
          </dd>
          <dt>Schemes</dt>
          <dd>{k.allowedSchemes.length ? k.allowedSchemes.join(', ') : 'all'}</dd>
          <dt>Secret issued</dt>
          <dd>
            {formatTime(k.secretIssuedAt)}
            {k.secretAgeDays !== undefined ? ` (${k.secretAgeDays} days ago)` : ''}
            {k.previousValidUntil ? ` · previous secret valid until ${formatTime(k.previousValidUntil)}` : ''}
          </dd>
        </dl>
      </div>
      {active && !props.readOnly ? (
        <div class="row-actions">
          <button type="button" class="secondary small" aria-expanded={panel === 'roll'} onClick={() => setPanel(panel === 'roll' ? 'none' : 'roll')}>
            Roll
          </button>
          <button type="button" class="secondary small" aria-expanded={panel === 'ips'} onClick={() => setPanel(panel === 'ips' ? 'none' : 'ips')}>
            Allowed IPs
          </button>
          <button type="button" class="secondary small" aria-expanded={panel === 'schemes'} onClick={() => setPanel(panel === 'schemes' ? 'none' : 'schemes')}>
            Schemes
          </button>
          <button type="button" class="danger small" aria-expanded={panel === 'revoke'} onClick={() => setPanel(panel === 'revoke' ? 'none' : 'revoke')}>
            Revoke
          </button>
        </div>
      ) : null}
      {panel !== 'none' ? (
        <div class="row-panel">
          {action.error ? <Alert kind="error">{action.error}</Alert> : null}
          {reauth.form}
          {reauth.asking ? null : panel === 'roll' ? (
            <form onSubmit={roll}>
              <div class="field">
                <label for={`overlap-${k.id}`}>Keep the old secret working for</label>
                <select id={`overlap-${k.id}`} value={String(overlap)} onChange={(e) => setOverlap(Number((e.currentTarget as HTMLSelectElement).value))}>
                  {OVERLAPS.map((o) => (
                    <option key={o.seconds} value={String(o.seconds)}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </div>
              <div class="actions">
                <button type="submit" class="primary small" disabled={action.busy}>
                  {action.busy ? 'Rolling…' : 'Roll secret'}
                </button>
              </div>
            </form>
          ) : panel === 'ips' ? (
            <form onSubmit={saveIps}>
              <div class="field">
                <label for={`ips-${k.id}`}>Allowed IP addresses or CIDR ranges</label>
                <textarea id={`ips-${k.id}`} rows={3} value={ips} placeholder="203.0.113.7&#10;198.51.100.0/24" onInput={(e) => setIps((e.currentTarget as HTMLTextAreaElement).value)} />
                <p class="hint">One per line. Leave empty to allow any address.</p>
              </div>
              <div class="actions">
                <button type="submit" class="primary small" disabled={action.busy}>
                  {action.busy ? 'Saving…' : 'Save allowed IPs'}
                </button>
              </div>
            </form>
          ) : panel === 'schemes' ? (
            <form onSubmit={saveSchemes}>
              <fieldset class="field checks">
                <legend>Signature schemes this key may use</legend>
                {SCHEMES.map((s) => (
                  <label key={s} class="check">
                    <input type="checkbox" checked={schemes.includes(s)} onChange={() => setSchemes(schemes.includes(s) ? schemes.filter((x) => x !== s) : [...schemes, s])} /> <span class="mono">{s}</span>
                  </label>
                ))}
                <p class="hint">At least one. A request signed with another scheme is refused.</p>
              </fieldset>
              <div class="actions">
                <button type="submit" class="primary small" disabled={action.busy || schemes.length === 0}>
                  {action.busy ? 'Saving…' : 'Save schemes'}
                </button>
              </div>
            </form>
          ) : (
            <div>
              <p>Requests signed with this key will be refused at once. This cannot be undone.</p>
              <div class="actions">
                <button type="button" class="danger small" onClick={revoke} disabled={action.busy}>
                  {action.busy ? 'Revoking…' : 'Revoke key'}
                </button>
                <button type="button" class="secondary small" onClick={() => setPanel('none')}>
                  Cancel
                </button>
              </div>
            </div>
          )}
        </div>
      ) : null}
    </li>
  );
}
