/**
 * The database could not be reached, or did not answer in time: a fault on
 * our side that passes by itself (a restart, a fail-over, a network blip).
 * Requests are refused with 503 storage_unavailable, never 500, so that
 * clients and load balancers retry instead of reporting a bug.
 */
export class StorageUnavailable extends Error {
  override name = 'StorageUnavailable';
}

// Node's socket errors and postgres.js's own connection codes: the connection failed, not the statement.
// Not CONNECTION_ENDED: that is our own pool, closed at shutdown, not an outage.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

// SQLSTATEs of a server that cannot serve now: shutting down (57P01 fast, 57P02 crash), starting up or
// shutting down when we connect (57P03), out of connection slots (53300).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** True for errors that say the database is unreachable (connection errors, class 08, shut-down states), false for errors in a statement. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || (code.length === 5 && code.startsWith('08'));
}
