/**
 * Durations as operators type them: "30m", "24h", "7d", "3600s", or plain
 * seconds. Whole numbers only, so "1.5h" is refused rather than rounded:
 * an overlap is a security window and should mean exactly what was typed.
 */

export type DurationResult = { ok: true; seconds: number } | { ok: false; message: string };

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const SHAPE = /^(\d+)([smhd]?)$/;

export function parseDuration(text: string, maxSeconds: number): DurationResult {
  const match = SHAPE.exec(text.trim().toLowerCase());
  if (!match) {
    return { ok: false, message: `"${text}" is not a duration: use a whole number with s, m, h or d (e.g. 30m, 24h, 7d), or plain seconds.` };
  }
  const amount = Number(match[1]);
  const unit = (match[2] || 's') as keyof typeof UNIT_SECONDS;
  const seconds = amount * UNIT_SECONDS[unit];
  if (!Number.isSafeInteger(seconds) || seconds > maxSeconds) {
    return { ok: false, message: `"${text}" is longer than the maximum of ${formatDuration(maxSeconds)}.` };
  }
  return { ok: true, seconds };
}

/** The largest whole unit that divides the value: 604800 → "7d", 5400 → "90m", 61 → "61s". */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit];
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
