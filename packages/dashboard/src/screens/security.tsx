import { useEffect, useState } from 'preact/hooks';
import { api, type Enrolment, type Me, type SessionInfo } from '../api.js';
import { Alert, CopyButton, Field, formatTime, ReauthForm } from '../components.js';
import { useAction } from '../use-action.js';

export function SecurityScreen(props: { me: Me; onMeChange: () => Promise<void> }) {
  return (
    <>
      <div class="page-head">
        <h1>Security</h1>
        <p>Two-factor authentication and the devices signed in to your account.</p>
      </div>
      {props.me.stage === 'enrol' ? (
        <Alert kind="warn">{props.me.merchant.name} requires two-factor authentication. Set it up to continue.</Alert>
      ) : null}
      <TwoFactorCard me={props.me} onMeChange={props.onMeChange} />
      {props.me.stage === 'enrol' ? null : <SessionsCard />}
    </>
  );
}

type TwoFactorStep = { kind: 'idle' } | { kind: 'enrolling'; enrolment: Enrolment } | { kind: 'codes'; codes: string[] };

/**
 * Enrolment: the server makes a secret; the user scans the QR code (or types
 * the secret), proves it with a first code, and gets recovery codes, shown
 * here once and never again.
 */
function TwoFactorCard(props: { me: Me; onMeChange: () => Promise<void> }) {
  const [step, setStep] = useState<TwoFactorStep>({ kind: 'idle' });
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  // Set when the server asked for the password again before enrolment: retried once it is confirmed.
  const [reauth, setReauth] = useState(false);

  function start() {
    void run(
      api.enrolTotp,
      (enrolment) => setStep({ kind: 'enrolling', enrolment }),
      (failure) => {
        if (failure.code !== 'reauthentication_required') return false;
        setReauth(true);
        return true;
      },
    );
  }

  function confirm(event: Event) {
    event.preventDefault();
    void run(
      () => api.confirmTotp(code.replace(/\s+/g, '')),
      (codes) => {
        setCode('');
        setStep({ kind: 'codes', codes });
      },
    );
  }

  async function done() {
    setStep({ kind: 'idle' });
    await props.onMeChange();
  }

  return (
    <section class="card" aria-labelledby="twofa-title">
      <h2 id="twofa-title">
        Two-factor authentication{' '}
        {props.me.user.totpEnabled ? <span class="badge badge-ok">On</span> : <span class="badge badge-warn">Off</span>}
      </h2>
      <p class="sub">A code from an authenticator app (Google Authenticator, 1Password, Authy…) is asked for at every sign-in.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {reauth ? (
        <ReauthForm
          allowCode={props.me.user.totpEnabled}
          onDone={() => {
            setReauth(false);
            start();
          }}
          onCancel={() => setReauth(false)}
        />
      ) : null}
      {step.kind === 'idle' && !reauth ? (
        props.me.user.totpEnabled ? (
          <p>Two-factor authentication is on for {props.me.user.email}.</p>
        ) : (
          <button type="button" class="primary" onClick={start} disabled={busy}>
            {busy ? 'Preparing…' : 'Set up two-factor authentication'}
          </button>
        )
      ) : null}
      {step.kind === 'enrolling' ? (
        <div class="enrol">
          {step.enrolment.qrImage ? <img class="qr" src={step.enrolment.qrImage} alt="QR code to scan with your authenticator app" width={200} height={200} /> : null}
          <div>
            <ol class="steps">
              <li>Scan the QR code with your authenticator app, or type in the secret below.</li>
              <li>Enter the 6-digit code the app shows.</li>
            </ol>
            <p class="hint">Secret</p>
            <code class="secret" data-testid="totp-secret">
              {step.enrolment.secret}
            </code>
            <form onSubmit={confirm}>
              <Field id="totp-confirm" label="Code from the app" type="text" value={code} onInput={setCode} autoComplete="one-time-code" inputMode="numeric" className="code" />
              <div class="actions">
                <button type="submit" class="primary" disabled={busy}>
                  {busy ? 'Checking…' : 'Turn on'}
                </button>
                <button type="button" class="secondary" onClick={() => setStep({ kind: 'idle' })}>
                  Cancel
                </button>
              </div>
            </form>
          </div>
        </div>
      ) : null}
      {step.kind === 'codes' ? (
        <div>
          <Alert kind="ok">Two-factor authentication is on.</Alert>
          <h3>Recovery codes</h3>
          <p class="hint">Each code signs you in once if you lose your phone. Save them somewhere safe now: they are not shown again.</p>
          <ul class="codes" data-testid="recovery-codes">
            {step.codes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
          <div class="actions">
            <CopyButton text={step.codes.join('\n')} label="Copy codes" />
            <button type="button" class="primary" onClick={done}>
              I have saved them
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}

function SessionsCard() {
  const [sessions, setSessions] = useState<SessionInfo[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [revoking, setRevoking] = useState<string | undefined>(undefined);

  async function load() {
    const result = await api.sessions();
    if (!result.ok) return setError(result.error.message);
    setSessions(result.value);
  }
  useEffect(() => {
    void load();
  }, []);

  async function revoke(id: string) {
    setRevoking(id);
    setError(undefined);
    const result = await api.revokeSession(id);
    setRevoking(undefined);
    if (!result.ok) return setError(result.error.message);
    await load();
  }

  return (
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p class="sub">Browsers signed in to your account. Sign out any you do not recognise.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {sessions === undefined && !error ? <p class="hint">Loading…</p> : null}
      {sessions ? (
        <ul class="rows" data-testid="sessions">
          {sessions.map((s) => (
            <li key={s.id} data-session-id={s.id}>
              <div class="row-main">
                <p class="row-title">
                  {describeAgent(s.userAgent)} {s.current ? <span class="badge badge-ok">This browser</span> : null}
                </p>
                <p class="row-meta">
                  {s.clientIp} · signed in {formatTime(s.createdAt)} · last active {formatTime(s.lastSeenAt)}
                </p>
              </div>
              {s.current ? null : (
                <button type="button" class="danger small" onClick={() => revoke(s.id)} disabled={revoking === s.id}>
                  {revoking === s.id ? 'Revoking…' : 'Revoke'}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** "Chrome on Linux" from a user agent string: enough to recognise a device, no library needed. */
export function describeAgent(ua: string): string {
  if (!ua) return 'Unknown browser';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}
