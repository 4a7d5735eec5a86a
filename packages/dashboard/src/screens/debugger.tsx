import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiKeyInfo, type Mode, type SignatureExplanation } from '../api.js';
import { Alert } from '../components.js';
import { useAction } from '../use-action.js';

/**
 * Paste what a refused request carried (never a secret: the gateway uses
 * the key's own) and read why its signature does not verify: the string
 * the gateway signed, the usual mix-ups it tried (another key's secret,
 * canonical vs raw body, seconds vs milliseconds), and what to change.
 */
export function DebuggerScreen(props: { mode: Mode }) {
  const [keys, setKeys] = useState<ApiKeyInfo[]>([]);
  const [apiKey, setApiKey] = useState('');
  const [scheme, setScheme] = useState<'' | 'v1' | 'v2'>('');
  const [method, setMethod] = useState('POST');
  const [path, setPath] = useState('/api/v3/pg/order/create');
  const [timestamp, setTimestamp] = useState('');
  const [signature, setSignature] = useState('');
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState<SignatureExplanation | undefined>(undefined);
  const { busy, error, run } = useAction();

  useEffect(() => {
    setAnswer(undefined);
    void api.keys(props.mode).then((r) => {
      if (!r.ok) return;
      const active = r.value.filter((k) => k.status === 'active' && k.kind === 'hmac');
      setKeys(active);
      setApiKey(active[0]?.apiKey ?? '');
    });
  }, [props.mode]);

  function explain(event: Event) {
    event.preventDefault();
    void run(
      () => api.explainSignature({ apiKey: apiKey.trim(), signature: signature.trim(), timestamp: timestamp.trim(), scheme: scheme || undefined, method: method.trim() || 'POST', path: path.trim() || undefined, body }),
      setAnswer,
    );
  }

  return (
    <>
      <div class="page-head">
        <h1>Signature debugger</h1>
        <p>Paste a request your server signed and the gateway refused. Tijori checks it with the key's secret (you never paste a secret) and says what differs.</p>
      </div>
      <section class="card">
        <form onSubmit={explain}>
          <div class="grid grid-2">
            <div class="field">
              <label for="dbg-key">API key (X-API-KEY)</label>
              <input id="dbg-key" type="text" list="dbg-keys" required value={apiKey} placeholder="pk_test_…" onInput={(e) => setApiKey((e.currentTarget as HTMLInputElement).value)} />
              <datalist id="dbg-keys">
                {keys.map((k) => (
                  <option key={k.id} value={k.apiKey}>
                    {k.label ?? ''}
                  </option>
                ))}
              </datalist>
            </div>
            <div class="field">
              <label for="dbg-scheme">Scheme (X-SIGNATURE-VERSION)</label>
              <select id="dbg-scheme" value={scheme} onChange={(e) => setScheme((e.currentTarget as HTMLSelectElement).value as '' | 'v1' | 'v2')}>
                <option value="">Not sent: try both</option>
                <option value="v1">v1 (body only)</option>
                <option value="v2">v2 (method, path and body)</option>
              </select>
            </div>
            <div class="field">
              <label for="dbg-method">Method</label>
              <input id="dbg-method" type="text" value={method} onInput={(e) => setMethod((e.currentTarget as HTMLInputElement).value)} />
            </div>
            <div class="field">
              <label for="dbg-path">Path and query</label>
              <input id="dbg-path" type="text" value={path} placeholder="/api/v3/pg/order/create" onInput={(e) => setPath((e.currentTarget as HTMLInputElement).value)} />
            </div>
            <div class="field">
              <label for="dbg-timestamp">Timestamp (X-TIMESTAMP)</label>
              <input id="dbg-timestamp" type="text" required value={timestamp} inputMode="numeric" placeholder="Unix seconds, e.g. 1767225600" onInput={(e) => setTimestamp((e.currentTarget as HTMLInputElement).value)} />
            </div>
            <div class="field">
              <label for="dbg-signature">Signature (X-SIGNATURE)</label>
              <input id="dbg-signature" type="text" required value={signature} onInput={(e) => setSignature((e.currentTarget as HTMLInputElement).value)} />
            </div>
          </div>
          <div class="field">
            <label for="dbg-body">Body, exactly as sent</label>
            <textarea id="dbg-body" rows={6} value={body} placeholder='{"order_id":"1001","order_amount":"105.00",…}' onInput={(e) => setBody((e.currentTarget as HTMLTextAreaElement).value)} />
            <p class="hint">Byte for byte: whitespace, key order and number formatting all change the signature.</p>
          </div>
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Checking…' : 'Explain'}
            </button>
          </div>
        </form>
      </section>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {answer ? <Explanation answer={answer} /> : null}
    </>
  );
}

function Explanation(props: { answer: SignatureExplanation }) {
  const a = props.answer;
  return (
    <section class="card" aria-labelledby="verdict-title" data-testid="signature-verdict">
      <h2 id="verdict-title">
        {a.ok ? 'The signature verifies' : 'The signature does not verify'}{' '}
        {a.ok ? <span class="badge badge-ok">valid</span> : <span class="badge badge-error">{a.code ?? 'invalid'}</span>}
      </h2>
      <ul class="explain">
        {a.ok ? (
          <li class="ok">
            Signed with scheme {a.scheme}
            {a.form === 'canonical' ? ' over the canonical JSON of the body' : ' over the body as sent'}.
          </li>
        ) : (
          <li class="fail">{a.message}</li>
        )}
        {a.notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
      {a.covers ? (
        <>
          <h3 class="section-title">What the signature covers ({a.covers.scheme})</h3>
          <pre class="block">{a.covers.signed}</pre>
        </>
      ) : null}
      {a.expected.length > 0 ? (
        <>
          <h3 class="section-title">What the gateway signs</h3>
          {a.expected.map((e) => (
            <div key={e.scheme}>
              <p class="hint">{e.scheme}</p>
              <pre class="block">{e.signed}</pre>
            </div>
          ))}
        </>
      ) : null}
      {a.expectedSignatures && a.expectedSignatures.length > 0 ? (
        <>
          <h3 class="section-title">Expected signatures (sandbox keys only)</h3>
          <dl class="facts">
            {a.expectedSignatures.map((e) => (
              <Fragment key={e.scheme}>
                <dt>{e.scheme}</dt>
                <dd class="mono">{e.signature}</dd>
              </Fragment>
            ))}
          </dl>
        </>
      ) : null}
    </section>
  );
}
