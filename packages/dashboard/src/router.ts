import { useEffect, useState } from 'preact/hooks';

/**
 * Client-side routes under /dashboard/: the gateway answers index.html for
 * every path below it (except /dashboard/api/), so a reload or a pasted link
 * lands on the same screen.
 */
export const BASE = '/dashboard';

const NAVIGATED = 'tijori:navigate';

/** The path below /dashboard, always starting with '/': "/dashboard/security" → "/security". */
export function currentRoute(): string {
  const path = window.location.pathname;
  const below = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  return below === '' ? '/' : below;
}

export function navigate(route: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${route === '/' ? '/' : route}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATED));
}

/** The current route, re-rendering on back/forward and on navigate(). */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}

/** A click handler for <a href>: same-tab left clicks navigate in place; modified clicks open a tab as usual. */
export function onLinkClick(route: string) {
  return (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(route);
  };
}

export function href(route: string): string {
  return `${BASE}${route === '/' ? '/' : route}`;
}
