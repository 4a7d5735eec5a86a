import { useEffect, useState } from 'preact/hooks';
import { api, type Me, whenSessionEnds } from './api.js';
import { navigate, useRoute } from './router.js';
import { SignInScreen } from './screens/sign-in.js';
import { SignUpScreen } from './screens/sign-up.js';
import { Shell } from './shell.js';

const SIGNED_OUT_ROUTES = new Set(['/sign-in', '/sign-up']);

/**
 * Who is signed in decides what shows: nobody → sign in or sign up; a
 * session still waiting for its TOTP code → the code step; otherwise the
 * shell. The server is asked once at load (GET me) and told after each step.
 */
export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null | undefined>(undefined);

  // After every sign-in step the server has rotated the session: ask again who it is (this also fetches the new CSRF token).
  async function refresh(): Promise<void> {
    const result = await api.me();
    setMe(result.ok ? result.value : null);
  }
  useEffect(() => {
    whenSessionEnds(() => setMe(null));
    void refresh();
  }, []);

  const signedIn = me !== null && me !== undefined && me.stage !== 'totp';
  useEffect(() => {
    if (me === undefined) return;
    if (!signedIn && !SIGNED_OUT_ROUTES.has(route)) navigate('/sign-in', { replace: true });
    if (signedIn && SIGNED_OUT_ROUTES.has(route)) navigate('/', { replace: true });
  }, [me, route, signedIn]);

  if (me === undefined) return <p class="loading">Loading…</p>;
  if (!signedIn) {
    if (route === '/sign-up') return <SignUpScreen onSignedIn={refresh} />;
    return <SignInScreen pending={me?.stage === 'totp' ? me : undefined} onStep={refresh} onSignedOut={() => setMe(null)} />;
  }
  return <Shell me={me} route={route} onMeChange={refresh} onSignedOut={() => setMe(null)} />;
}
