/**
 * Why a fetch got no answer, as a sentence that says what to do. Shared by
 * the commands that call the merchant API; AdminClient has its own copy
 * (its file is outside this change) and could use this one.
 */
export function describeFetchFailure(err: unknown, baseUrl: string, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  if (e.name === 'TimeoutError') return `${baseUrl} did not answer within ${timeoutMs / 1000} s.`;
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const code = e.cause?.code ?? e.cause?.errors?.[0]?.code;
  if (code === 'ECONNREFUSED') return `nothing is listening at ${baseUrl} (connection refused). Start the gateway (tijori serve), or give its address with --url or TIJORI_URL.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host of ${baseUrl} (${code}).`;
  return `cannot reach ${baseUrl}: ${code ?? e.cause?.message ?? e.message ?? String(err)}.`;
}
