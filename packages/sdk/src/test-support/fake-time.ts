/**
 * Time for the SDK under test: it starts at the current whole second and
 * moves only when the SDK "sleeps". Sleeping returns at once and is
 * recorded, so a test asserts how long the SDK chose to wait (backoff,
 * Retry-After, the wait into a new second) without waiting, and the same
 * calls give the same waits on every run.
 */
export interface FakeTime {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Every wait the SDK asked for, in order. */
  sleeps: number[];
  /** Moves the clock without a sleep being recorded. */
  advance(ms: number): void;
}

export function fakeTime(): FakeTime {
  let now = Math.floor(Date.now() / 1000) * 1000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms) => {
      now += ms;
    },
  };
}
