import { useEffect, useState } from 'preact/hooks';
import { api, type Enrolment, type Me, ROLES, type Role, type SessionInfo, type TeamUser } from '../api.js';
import { Alert, CopyButton, Field, formatTime, NewPasswordField, ReauthForm, ShownOnce, useReauth } from '../components.js';
import { useAction } from '../use-action.js';

export function SecurityScreen(props: { me: Me; onMeChange: () => Promise<void> }) {
  return (
    <>
      <div class="page-head">
        <h1>Security</h1>
        <p>Your password, two-factor authentication and the devices signed in to your account{props.me.user.role === 'owner' ? ', and your team' : ''}.</p>
      </div>
      {props.me.stage === 'enrol' ? (
        <Alert kind="warn">{props.me.merchant.name} requires two-factor authentication. Set it up to continue.</Alert>
      ) : null}
      <TwoFactorCard me={props.me} onMeChange={props.onMeChange} />
      {props.me.stage === 'enrol' ? null : (
        <>
          <PasswordCard />
          <SessionsCard />
          {/* Owners only; the server refuses everyone else anyway (role_not_allowed). */}
          {props.me.user.role === 'owner' ? (
            <>
              <TeamCard me={props.me} />
              <RequireTwoFactorCard me={props.me} onMeChange={props.onMeChange} />
            </>
          ) : null}
        </>
      )}
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
          <>
            <p>Two-factor authentication is on for {props.me.user.email}.</p>
            <TurnOffTwoFactor me={props.me} onMeChange={props.onMeChange} />
          </>
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

/** Turning 2FA off: confirmed first, re-authenticated when the server asks; not offered while the merchant requires it. */
function TurnOffTwoFactor(props: { me: Me; onMeChange: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const reauth = useReauth(true);

  function turnOff() {
    void run(
      api.disableTotp,
      async () => {
        setConfirming(false);
        await props.onMeChange();
      },
      reauth.guard(turnOff),
    );
  }

  if (props.me.merchant.requireTwoFactor) {
    return <p class="hint">{props.me.merchant.name} requires two-factor authentication, so it cannot be turned off.</p>;
  }
  return (
    <div class="turn-off">
      {error ? <Alert kind="error">{error}</Alert> : null}
      {reauth.form ??
        (confirming ? (
          <div class="row-panel">
            <p>Turn off two-factor authentication? Signing in will then need your password only, and your recovery codes stop working.</p>
            <div class="actions">
              <button type="button" class="danger" onClick={turnOff} disabled={busy}>
                {busy ? 'Turning off…' : 'Turn off'}
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button type="button" class="danger small" onClick={() => setConfirming(true)}>
            Turn off two-factor authentication
          </button>
        ))}
    </div>
  );
}

/** The user's own password: the current one proves it is them; the change signs out their other sessions. */
function PasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();

  function submit(event: Event) {
    event.preventDefault();
    setDone(false);
    void run(
      () => api.changePassword({ currentPassword: current, newPassword: next }),
      () => {
        setCurrent('');
        setNext('');
        setDone(true);
      },
    );
  }

  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <p class="sub">Changing it signs out your other sessions.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {done ? <Alert kind="ok">Password changed. Your other sessions were signed out.</Alert> : null}
      <form onSubmit={submit} class="narrow">
        <Field id="current-password" label="Current password" type="password" value={current} onInput={setCurrent} autoComplete="current-password" />
        <NewPasswordField id="new-password" label="New password" value={next} onInput={setNext} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}

const ROLE_HELP: Record<Role, string> = {
  owner: 'everything, including users and security settings',
  developer: 'API keys and webhooks',
  viewer: 'read only',
};

/** Owners: the merchant's users, their roles, and new users (with an initial password shown once). */
function TeamCard(props: { me: Me }) {
  const [users, setUsers] = useState<TeamUser[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [added, setAdded] = useState<{ email: string; password: string } | undefined>(undefined);
  const add = useAction();

  async function load() {
    const result = await api.users();
    if (!result.ok) return setLoadError(result.error.message);
    setLoadError(undefined);
    setUsers(result.value);
  }
  useEffect(() => {
    void load();
  }, []);

  function submit(event: Event) {
    event.preventDefault();
    void add.run(
      () => api.addUser({ email: email.trim(), role }),
      async (value) => {
        setEmail('');
        setAdded({ email: value.user.email, password: value.initialPassword });
        await load();
      },
    );
  }

  return (
    <section class="card" aria-labelledby="team-title">
      <h2 id="team-title">Team</h2>
      <p class="sub">People who can sign in to {props.me.merchant.name}. Owners: {ROLE_HELP.owner}; developers: {ROLE_HELP.developer}; viewers: {ROLE_HELP.viewer}.</p>
      {added ? (
        <div class="card-highlight row-panel" data-testid="new-user">
          <p>
            <strong>{added.email}</strong> was added. Give them this initial password privately; they should change it after signing in. It is not shown again.
          </p>
          <ShownOnce value={added.password} testId="initial-password" copyLabel="Copy password" doneLabel="Done" onDone={() => setAdded(undefined)} />
        </div>
      ) : null}
      {loadError ? <Alert kind="error">{loadError}</Alert> : null}
      {users === undefined && !loadError ? <p class="hint">Loading…</p> : null}
      {users ? (
        <ul class="rows" data-testid="users">
          {users.map((u) => (
            <UserRow key={u.id} user={u} self={u.id === props.me.user.id} onChanged={load} />
          ))}
        </ul>
      ) : null}
      <h3 class="section-title">Add a user</h3>
      {add.error ? <Alert kind="error">{add.error}</Alert> : null}
      <form class="inline-form" onSubmit={submit}>
        <div class="field grow">
          <label for="new-user-email">Email</label>
          <input id="new-user-email" type="email" required value={email} autoComplete="off" onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="new-user-role">Role</label>
          <RoleSelect id="new-user-role" value={role} onChange={setRole} />
        </div>
        <button type="submit" class="primary" disabled={add.busy}>
          {add.busy ? 'Adding…' : 'Add user'}
        </button>
      </form>
    </section>
  );
}

function RoleSelect(props: { id?: string; label?: string; className?: string; value: Role; onChange: (role: Role) => void }) {
  return (
    <select id={props.id} aria-label={props.label} class={props.className} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

function UserRow(props: { user: TeamUser; self: boolean; onChanged: () => Promise<void> }) {
  const { user } = props;
  const [role, setRole] = useState<Role>(user.role);
  const { busy, error, run } = useAction();
  useEffect(() => setRole(user.role), [user.role]);

  function save() {
    void run(() => api.changeRole(user.id, role), props.onChanged);
  }

  return (
    <li data-user-id={user.id}>
      <div class="row-main">
        <p class="row-title">
          {user.email}
          {props.self ? <span class="badge badge-muted">You</span> : null}
        </p>
        <p class="row-meta">
          {user.role} · 2FA {user.totpEnabled ? 'on' : 'off'} · added {formatTime(user.createdAt)}
        </p>
      </div>
      <div class="row-actions">
        <RoleSelect label={`Role for ${user.email}`} className="compact" value={role} onChange={setRole} />
        <button type="button" class="secondary small" onClick={save} disabled={busy || role === user.role}>
          {busy ? 'Saving…' : 'Change role'}
        </button>
      </div>
      {/* Shown while the refused choice is still selected: putting the role back clears it. */}
      {error && role !== user.role ? (
        <div class="row-error">
          <Alert kind="error">{error}</Alert>
        </div>
      ) : null}
    </li>
  );
}

/** Owners: 2FA for every user of the merchant; those without it are sent to set it up at their next request. */
function RequireTwoFactorCard(props: { me: Me; onMeChange: () => Promise<void> }) {
  const required = props.me.merchant.requireTwoFactor;
  const { busy, error, run } = useAction();
  const reauth = useReauth(props.me.user.totpEnabled);

  function set(next: boolean) {
    void run(() => api.setRequireTwoFactor(next), props.onMeChange, reauth.guard(() => set(next)));
  }

  return (
    <section class="card" aria-labelledby="require-title">
      <h2 id="require-title">
        Require two-factor authentication{' '}
        {required ? <span class="badge badge-ok">Required</span> : <span class="badge badge-muted">Optional</span>}
      </h2>
      <p class="sub">When required, every user without it{props.me.user.totpEnabled ? '' : ' (you included)'} must set it up before doing anything else, from their next page load.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {reauth.form ?? (
        <label class="check switch">
          <input type="checkbox" role="switch" checked={required} disabled={busy} onChange={() => set(!required)} />
          <span>Require two-factor authentication for everyone</span>
        </label>
      )}
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
