/** Thrown at start-up for a malformed TIJORI_DASHBOARD_ORIGINS. */
export class DashboardOriginsError extends Error {
  override name = 'DashboardOriginsError';
}

/**
 * The origins the dashboard API answers to (CORS) and accepts state changes
 * from (the Origin check): the configured comma-separated list, or the
 * public base URL's origin when it is empty. Each must be an origin exactly
 * (scheme, host, optional port; no path, no trailing slash), because it is
 * compared with the browser's Origin header byte for byte.
 */
export function parseDashboardOrigins(configured: string, publicBaseUrl: string): ReadonlySet<string> {
  const items = configured.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return new Set([new URL(publicBaseUrl).origin]);
  for (const item of items) {
    let origin: string | undefined;
    try {
      origin = new URL(item).origin;
    } catch {
      origin = undefined;
    }
    if (origin !== item || !/^https?:/.test(item)) {
      throw new DashboardOriginsError(
        `TIJORI_DASHBOARD_ORIGINS: "${item}" is not an origin. Write each as scheme://host[:port] with no path or trailing slash, e.g. https://dashboard.example.com${origin && origin !== 'null' ? ` (did you mean ${origin}?)` : ''}.`,
      );
    }
  }
  return new Set(items);
}
