/**
 * The X-TIMESTAMP check: UNIX seconds, within a window of server time.
 *
 * The timestamp is part of every signed string, so a captured request cannot
 * be replayed once it falls outside the window. Inside the window, replay is
 * the caller's replay store's job (keyed on the verified signature).
 */

/** 300 s each way: the seeds' ±5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type TimestampCheck =
  | { ok: true; seconds: number }
  | {
      ok: false;
      code: 'missing_timestamp' | 'malformed_timestamp' | 'timestamp_in_milliseconds' | 'timestamp_outside_window';
      message: string;
      seconds?: number;
    };

/** Shared with verify-request.ts, which checks presence before the version. */
export const MISSING_TIMESTAMP_MESSAGE =
  'The X-TIMESTAMP header is missing. Send the current UNIX time in seconds, e.g. X-TIMESTAMP: 1778659835 ' +
  '(Math.floor(Date.now() / 1000) in JavaScript, time() in PHP, int(time.time()) in Python), ' +
  'and sign that same string.';

// Twelve digits covers every date until the year 33658; thirteen digits is
// what Date.now() gives, so that case gets its own, more useful, answer.
const SECONDS = /^[0-9]{1,12}$/;
const MILLISECONDS = /^[0-9]{13}$/;

/**
 * Checks an X-TIMESTAMP header value against the server clock.
 *
 * `nowSeconds` is the server's UNIX time in seconds (injected so tests control
 * it). A timestamp exactly `toleranceSeconds` away is accepted; one second more
 * is refused. Never throws: a non-finite clock or a negative or non-number
 * tolerance fails closed as `timestamp_outside_window`.
 */
export function checkTimestamp(
  timestamp: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): TimestampCheck {
  const t: unknown = timestamp;
  // An empty header is as good as none: HTTP servers hand it over as ''.
  if (t === undefined || t === null || t === '') {
    return {
      ok: false,
      code: 'missing_timestamp',
      message: MISSING_TIMESTAMP_MESSAGE,
    };
  }
  if (typeof t === 'string' && MILLISECONDS.test(t)) {
    const inSeconds = t.slice(0, -3);
    return {
      ok: false,
      code: 'timestamp_in_milliseconds',
      message:
        `X-TIMESTAMP ${t} has 13 digits, so it looks like milliseconds were sent. ` +
        `Send UNIX time in seconds: divide by 1000 and drop the fraction (here ${inSeconds}), ` +
        'e.g. Math.floor(Date.now() / 1000). Sign the seconds value too: the timestamp is part of the signed string.',
    };
  }
  if (typeof t !== 'string' || !SECONDS.test(t)) {
    // The value is not echoed: it is arbitrary client input.
    return {
      ok: false,
      code: 'malformed_timestamp',
      message:
        'X-TIMESTAMP must be UNIX time in whole seconds written as decimal digits only ' +
        '(no sign, spaces, decimal point or date format), e.g. X-TIMESTAMP: 1778659835.',
    };
  }

  const seconds = Number(t);
  const tolerance = toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof nowSeconds !== 'number' || !Number.isFinite(nowSeconds) || typeof tolerance !== 'number' || !(tolerance >= 0)) {
    return {
      ok: false,
      code: 'timestamp_outside_window',
      message:
        'The server could not compare X-TIMESTAMP with its clock. This is a server configuration problem, ' +
        'not a fault in your request; please contact support.',
      seconds,
    };
  }
  const drift = nowSeconds - seconds;
  if (Math.abs(drift) <= tolerance) return { ok: true, seconds };

  const direction = drift > 0 ? 'in the past' : 'in the future';
  return {
    ok: false,
    code: 'timestamp_outside_window',
    message:
      `X-TIMESTAMP ${t} is ${formatSeconds(Math.abs(drift))} seconds ${direction}; requests must be within ` +
      `${formatSeconds(tolerance)} seconds of server time (now ${formatSeconds(nowSeconds)}). ` +
      'Generate a fresh timestamp, in UNIX seconds, immediately before each request, ' +
      'and keep your clock synchronised with NTP.',
    seconds,
  };
}

function formatSeconds(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}
