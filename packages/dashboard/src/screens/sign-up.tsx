import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Alert, Brand, Field, NewPasswordField } from '../components.js';
import { href, onLinkClick } from '../router.js';
import { useAction } from '../use-action.js';

/** A new merchant and its first user (the owner), signed in on success. */
export function SignUpScreen(props: { onSignedIn: () => Promise<void> }) {
  const [merchantName, setMerchantName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  function submit(event: Event) {
    event.preventDefault();
    void run(() => api.signUp({ merchantName, email, password }), props.onSignedIn);
  }

  return (
    <main class="auth">
      <Brand />
      <div class="auth-card">
        <form onSubmit={submit} aria-labelledby="sign-up-title">
          <h1 id="sign-up-title">Create your account</h1>
          <p class="lead">You start in sandbox mode: no real money moves until you switch to live.</p>
          {error ? <Alert kind="error">{error}</Alert> : null}
          <Field id="merchant-name" label="Business name" type="text" value={merchantName} onInput={setMerchantName} autoComplete="organization" autoFocus />
          <Field id="email" label="Work email" type="email" value={email} onInput={setEmail} autoComplete="username" />
          <NewPasswordField id="password" label="Password" value={password} onInput={setPassword} />
          <button type="submit" class="primary block" disabled={busy}>
            {busy ? 'Creating account…' : 'Create account'}
          </button>
        </form>
      </div>
      <p class="auth-foot">
        Already have an account?{' '}
        <a href={href('/sign-in')} onClick={onLinkClick('/sign-in')}>
          Sign in
        </a>
      </p>
    </main>
  );
}
