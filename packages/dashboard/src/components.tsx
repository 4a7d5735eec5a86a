import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, type ApiError } from './api.js';
import { href, onLinkClick } from './router.js';
import { useAction } from './use-action.js';

export function Brand() {
  return (
    <a class="brand" href={href('/')} onClick={onLinkClick('/')}>
      <span class="brand-mark" aria-hidden="true">T</span>
      <span>Tijori</span>
    </a>
  );
}

export function Alert(props: { kind: 'error' | 'ok' | 'warn'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function Field(props: {
  id: string;
  label: string;
  type: 'email' | 'password' | 'text';
  value: string;
  onInput: (value: string) => void;
  autoComplete?: string;
  hint?: string;
  required?: boolean;
  minLength?: number;
  inputMode?: 'numeric' | 'text';
  className?: string;
  autoFocus?: boolean;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        // Preact 11 types <input> as a union by `type`; each of ours is a plain text-like box.
        type={props.type as 'text'}
        class={props.className}
        value={props.value}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
        autoComplete={props.autoComplete}
        required={props.required ?? true}
        minLength={props.minLength}
        inputMode={props.inputMode}
        autoFocus={props.autoFocus}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
      />
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

/** The server's minimum (docs/dashboard.md, "Passwords"); it also refuses the email and common passwords. */
export const PASSWORD_MIN_LENGTH = 12;

/** A password being chosen (sign-up, password change): the same rules and advice everywhere. */
export function NewPasswordField(props: { id: string; label: string; value: string; onInput: (value: string) => void }) {
  return (
    <Field
      id={props.id}
      label={props.label}
      type="password"
      value={props.value}
      onInput={props.onInput}
      autoComplete="new-password"
      minLength={PASSWORD_MIN_LENGTH}
      hint={`At least ${PASSWORD_MIN_LENGTH} characters. A passphrase of a few unrelated words works well.`}
    />
  );
}

/** Copies `text` with the async clipboard API; says whether it worked, since a browser may refuse. */
export function CopyButton(props: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <button type="button" class="secondary small" onClick={copy}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select and copy by hand' : props.label}
    </button>
  );
}

/** A value the server gives once (a secret, an initial password): the value, a copy button, and a button that dismisses it for good. */
export function ShownOnce(props: { value: string; testId: string; copyLabel: string; doneLabel: string; onDone: () => void }) {
  return (
    <>
      <code class="secret" data-testid={props.testId}>
        {props.value}
      </code>
      <div class="actions">
        <CopyButton text={props.value} label={props.copyLabel} />
        <button type="button" class="primary small" onClick={props.onDone}>
          {props.doneLabel}
        </button>
      </div>
    </>
  );
}

/** Local time, to the minute: sessions and sign-ins are read by people. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Sensitive actions (changing 2FA, live keys, webhook endpoints) ask for the
 * password or a TOTP code again when the session's last proof is more than a
 * few minutes old: the server answers reauthentication_required, this form
 * proves it (POST /reauth takes either), and the caller retries the action.
 */
export function ReauthForm(props: { onDone: () => void; onCancel: () => void; allowCode?: boolean }) {
  const [useCode, setUseCode] = useState(false);
  const [value, setValue] = useState('');
  const { busy, error, run } = useAction();
  function submit(event: Event) {
    event.preventDefault();
    void run(
      () => api.reauthenticate(useCode ? { code: value.replace(/\s+/g, '') } : { password: value }),
      () => {
        setValue('');
        props.onDone();
      },
    );
  }
  return (
    <form onSubmit={submit} class="reauth">
      <p class="hint">For your security, confirm your {useCode ? 'authenticator code' : 'password'} to continue.</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {useCode ? (
        <Field id="reauth-code" label="Code from the app" type="text" value={value} onInput={setValue} autoComplete="one-time-code" inputMode="numeric" className="code" autoFocus />
      ) : (
        <Field id="reauth-password" label="Password" type="password" value={value} onInput={setValue} autoComplete="current-password" autoFocus />
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Confirm'}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        {props.allowCode ? (
          <button
            type="button"
            class="link"
            onClick={() => {
              setUseCode(!useCode);
              setValue('');
            }}
          >
            {useCode ? 'Use your password instead' : 'Use an authenticator code instead'}
          </button>
        ) : null}
      </div>
    </form>
  );
}

/**
 * The re-authentication step for any screen: `guard(retry)` is the `handled`
 * argument of useAction's run; when the server asks for re-authentication it
 * shows `form` (render it where the action's button is) and, once the
 * password or code is accepted, runs `retry`.
 */
export function useReauth(allowCode: boolean) {
  const [retry, setRetry] = useState<(() => void) | undefined>(undefined);
  function guard(next: () => void) {
    return (failure: ApiError): boolean => {
      if (failure.code !== 'reauthentication_required') return false;
      setRetry(() => next);
      return true;
    };
  }
  const form = retry ? (
    <ReauthForm
      allowCode={allowCode}
      onDone={() => {
        setRetry(undefined);
        retry();
      }}
      onCancel={() => setRetry(undefined)}
    />
  ) : null;
  return { guard, form, asking: retry !== undefined };
}
