import { useState } from 'preact/hooks';
import { api, type Me } from '../api.js';
import { Alert, Brand, Field } from '../components.js';
import { href, onLinkClick } from '../router.js';
import { useAction } from '../use-action.js';

/**
 * Two steps on one screen: email and password, then (only when the account
 * has 2FA) a six-digit code or a recovery code. The server says which: a
 * session whose stage is 'totp' is waiting for the code.
 */
export function SignInScreen(props: { pending: Me | undefined; onStep: () => Promise<void>; onSignedOut: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const step = props.pending ? 'code' : 'password';

  function submitPassword(event: Event) {
    event.preventDefault();
    void run(
      () => api.signIn({ email, password }),
      () => {
        setPassword('');
        return props.onStep();
      },
    );
  }

  function submitCode(event: Event) {
    event.preventDefault();
    // Authenticator apps show "123 456"; recovery codes are typed with their dashes.
    void run(() => api.signInCode(code.replace(/\s+/g, '')), props.onStep);
  }

  async function startOver() {
    await api.signOut();
    setCode('');
    props.onSignedOut();
  }

  return (
    <main class="auth">
      <Brand />
      <div class="auth-card">
        {step === 'password' ? (
          <form onSubmit={submitPassword} aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">Sign in</h1>
            <p class="lead">Manage your keys, webhooks and orders.</p>
            {error ? <Alert kind="error">{error}</Alert> : null}
            <Field id="email" label="Email" type="email" value={email} onInput={setEmail} autoComplete="username" autoFocus />
            <Field id="password" label="Password" type="password" value={password} onInput={setPassword} autoComplete="current-password" />
            <button type="submit" class="primary block" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        ) : (
          <form onSubmit={submitCode} aria-labelledby="code-title">
            <h1 id="code-title">Two-factor authentication</h1>
            <p class="lead">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
            {error ? <Alert kind="error">{error}</Alert> : null}
            <Field id="totp-code" label="Code" type="text" value={code} onInput={setCode} autoComplete="one-time-code" inputMode="text" className="code" autoFocus />
            <button type="submit" class="primary block" disabled={busy}>
              {busy ? 'Checking…' : 'Verify and sign in'}
            </button>
            <div class="actions">
              <button type="button" class="secondary block" onClick={startOver}>
                Use another account
              </button>
            </div>
          </form>
        )}
      </div>
      {step === 'password' ? (
        <p class="auth-foot">
          New to Tijori?{' '}
          <a href={href('/sign-up')} onClick={onLinkClick('/sign-up')}>
            Create an account
          </a>
        </p>
      ) : null}
    </main>
  );
}
