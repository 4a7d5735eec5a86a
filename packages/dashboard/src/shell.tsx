import { useState } from 'preact/hooks';
import { api, type Me, type Mode } from './api.js';
import { Brand } from './components.js';
import { href, navigate, onLinkClick } from './router.js';
import { ComingSoonScreen } from './screens/coming-soon.js';
import { AuditScreen } from './screens/audit.js';
import { DebuggerScreen } from './screens/debugger.js';
import { KeysScreen } from './screens/keys.js';
import { OrdersScreen } from './screens/orders.js';
import { WebhooksScreen } from './screens/webhooks.js';
import { OverviewScreen } from './screens/overview.js';
import { SecurityScreen } from './screens/security.js';

interface NavEntry {
  route: string;
  label: string;
  /** False: the screen is not built yet; the entry shows, disabled, marked "Soon". */
  built: boolean;
}

export const NAV: readonly NavEntry[] = [
  { route: '/', label: 'Overview', built: true },
  { route: '/keys', label: 'API keys', built: true },
  { route: '/webhooks', label: 'Webhooks', built: true },
  { route: '/orders', label: 'Orders', built: true },
  { route: '/audit', label: 'Audit log', built: true },
  { route: '/security', label: 'Security', built: true },
  { route: '/debugger', label: 'Signature debugger', built: true },
];

const MODE_KEY = 'tijori.dashboard.mode';

function savedMode(): Mode {
  try {
    return window.localStorage.getItem(MODE_KEY) === 'live' ? 'live' : 'sandbox';
  } catch {
    return 'sandbox';
  }
}

/** The signed-in frame: header (merchant, mode switch, sign out), navigation, and the current screen. */
export function Shell(props: { me: Me; route: string; onMeChange: () => Promise<void>; onSignedOut: () => void }) {
  const { me, route } = props;
  const [mode, setModeState] = useState<Mode>(savedMode);
  const [signingOut, setSigningOut] = useState(false);
  // A merchant that requires 2FA lets a user without it reach Security alone, to enrol.
  const mustEnrol = me.stage === 'enrol';

  function setMode(next: Mode) {
    setModeState(next);
    try {
      window.localStorage.setItem(MODE_KEY, next);
    } catch {
      // Private browsing may refuse storage: the switch still works for this page.
    }
  }

  async function signOut() {
    setSigningOut(true);
    await api.signOut();
    setSigningOut(false);
    props.onSignedOut();
    navigate('/sign-in', { replace: true });
  }

  const entry = NAV.find((n) => n.route === route);
  let screen;
  if (mustEnrol || route === '/security') screen = <SecurityScreen me={me} onMeChange={props.onMeChange} />;
  else if (route === '/') screen = <OverviewScreen me={me} mode={mode} />;
  else if (route === '/keys') screen = <KeysScreen me={me} mode={mode} />;
  else if (route === '/webhooks') screen = <WebhooksScreen me={me} mode={mode} />;
  else if (route === '/orders') screen = <OrdersScreen mode={mode} />;
  else if (route === '/audit') screen = <AuditScreen />;
  else if (route === '/debugger') screen = <DebuggerScreen mode={mode} />;
  else if (entry) screen = <ComingSoonScreen title={entry.label} />;
  else screen = <ComingSoonScreen title="Page not found" notFound />;

  return (
    <div class="app">
      <header class="topbar">
        <Brand />
        <div class="merchant">
          <span class="merchant-name" data-testid="merchant-name">
            {me.merchant.name}
          </span>
          <span class="merchant-user">
            {me.user.email} · {me.user.role}
          </span>
        </div>
        <div class="topbar-right">
          <div class="mode-switch" role="group" aria-label="Mode">
            <button type="button" aria-pressed={mode === 'sandbox'} onClick={() => setMode('sandbox')}>
              Sandbox
            </button>
            <button type="button" class="live" aria-pressed={mode === 'live'} onClick={() => setMode('live')}>
              Live
            </button>
          </div>
          <button type="button" class="secondary small" onClick={signOut} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <p class={`mode-banner${mode === 'live' ? ' live' : ''}`}>
        {mode === 'live' ? 'Live mode: real payments and live keys.' : 'Sandbox mode: test data only, no real money moves.'}
      </p>
      <div class="layout">
        <nav class="nav" aria-label="Dashboard">
          {NAV.map((n) =>
            n.built && !(mustEnrol && n.route !== '/security') ? (
              <a key={n.route} href={href(n.route)} onClick={onLinkClick(n.route)} aria-current={n.route === route || (mustEnrol && n.route === '/security') ? 'page' : undefined}>
                {n.label}
              </a>
            ) : (
              <span key={n.route} class="soon" aria-disabled="true" title={n.built ? 'Enrol in two-factor authentication first' : 'Coming soon'}>
                {n.label}
                {n.built ? null : <span class="badge">Soon</span>}
              </span>
            ),
          )}
        </nav>
        <main class="content">{screen}</main>
      </div>
    </div>
  );
}
