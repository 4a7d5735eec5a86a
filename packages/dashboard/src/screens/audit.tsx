import { useEffect, useState } from 'preact/hooks';
import { api, type AuditFilter, type AuditRecord } from '../api.js';
import { Alert, formatTime } from '../components.js';

const OUTCOMES = [
  { value: '', label: 'Any outcome' },
  { value: 'success', label: 'Success (below 400)' },
  { value: 'failure', label: 'Failure (400 and up)' },
  { value: '4xx', label: '4xx' },
  { value: '5xx', label: '5xx' },
];

const SINCE = [
  { value: '1', label: 'Last hour' },
  { value: '24', label: 'Last 24 hours' },
  { value: '168', label: 'Last 7 days' },
  { value: '720', label: 'Last 30 days' },
  { value: '', label: 'All time' },
];

/** Every request made with the merchant's keys or by its dashboard users, as the gateway's hash-chained audit log holds it. */
export function AuditScreen() {
  const [since, setSince] = useState('24');
  const [outcome, setOutcome] = useState('');
  const [keyId, setKeyId] = useState('');
  const [applied, setApplied] = useState<AuditFilter>(() => filterOf('24', '', ''));
  const [records, setRecords] = useState<AuditRecord[] | undefined>(undefined);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);

  async function load(filter: AuditFilter, after?: number) {
    setError(undefined);
    const result = await api.audit(filter, after);
    if (!result.ok) return setError(result.error.message);
    setRecords(after === undefined ? result.value.records : [...(records ?? []), ...result.value.records]);
    setNext(result.value.nextAfterSeq);
  }
  useEffect(() => {
    void load(applied);
  }, []);

  function apply(event: Event) {
    event.preventDefault();
    const filter = filterOf(since, outcome, keyId);
    setApplied(filter);
    setRecords(undefined);
    void load(filter);
  }

  return (
    <>
      <div class="page-head">
        <h1>Audit log</h1>
        <p>Every API and dashboard request for your merchant, sandbox and live, in the order the gateway recorded it. The export verifies offline with <code>tijori audit verify</code>.</p>
      </div>
      <section class="card">
        <form class="inline-form" onSubmit={apply}>
          <div class="field">
            <label for="audit-since">Time</label>
            <select id="audit-since" value={since} onChange={(e) => setSince((e.currentTarget as HTMLSelectElement).value)}>
              {SINCE.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="audit-outcome">Outcome</label>
            <select id="audit-outcome" value={outcome} onChange={(e) => setOutcome((e.currentTarget as HTMLSelectElement).value)}>
              {OUTCOMES.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field grow">
            <label for="audit-key">API key</label>
            <input id="audit-key" type="text" value={keyId} placeholder="pk_test_… or key_…" onInput={(e) => setKeyId((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <button type="submit" class="primary">
            Apply
          </button>
          <a class="button secondary" href={api.auditExportUrl(applied)} download="tijori-audit.jsonl">
            Export
          </a>
        </form>
        {error ? <Alert kind="error">{error}</Alert> : null}
        {records === undefined && !error ? <p class="hint">Loading…</p> : null}
        {records && records.length === 0 ? <p class="empty">No records match.</p> : null}
        {records && records.length > 0 ? (
          <div class="table-wrap">
            <table class="table stack" data-testid="audit">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Request</th>
                  <th>Status</th>
                  <th>Key</th>
                  <th>Address</th>
                </tr>
              </thead>
              <tbody>
                {records.map((r) => (
                  <tr key={r.seq}>
                    <td class="nowrap">{formatTime(r.at)}</td>
                    <td>
                      <span class="mono">
                        {r.method} {r.path}
                      </span>
                      <span class="cell-sub mono">{r.requestId}</span>
                    </td>
                    <td>
                      <span class={`badge ${r.status < 400 ? 'badge-ok' : r.status < 500 ? 'badge-warn' : 'badge-error'}`}>{r.status}</span>
                      {r.errorCode ? <span class="cell-sub mono code-name">{r.errorCode}</span> : null}
                    </td>
                    <td class="mono">{r.keyId ?? '—'}</td>
                    <td class="mono">{r.clientIp}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {next !== null ? (
          <div class="actions">
            <button type="button" class="secondary small" onClick={() => void load(applied, next)}>
              Load more
            </button>
          </div>
        ) : null}
      </section>
    </>
  );
}

function filterOf(sinceHours: string, outcome: string, keyId: string): AuditFilter {
  return {
    from: sinceHours ? new Date(Date.now() - Number(sinceHours) * 3_600_000).toISOString() : undefined,
    outcome: outcome || undefined,
    keyId: keyId.trim() || undefined,
  };
}
