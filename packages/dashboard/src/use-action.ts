import { useState } from 'preact/hooks';
import type { ApiError, Result } from './api.js';

/**
 * What every form here does with an API call: busy while it runs (the
 * button says so and cannot be pressed twice), the server's message shown
 * when it fails, the next step when it succeeds. `handled` lets a screen
 * take a failure over (re-authentication) instead of showing it.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  async function run<T>(call: () => Promise<Result<T>>, onOk: (value: T) => void | Promise<void>, handled?: (error: ApiError) => boolean): Promise<void> {
    setBusy(true);
    setError(undefined);
    const result = await call();
    setBusy(false);
    if (!result.ok) {
      if (!handled?.(result.error)) setError(result.error.message);
      return;
    }
    await onOk(result.value);
  }

  return { busy, error, run };
}
