/** A fetch that answers from a script, one step per call, and records what it was sent. For unit tests without a gateway. */
export type Step = Response | Error | 'hang';

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function scriptedFetch(steps: Step[]): typeof fetch & { sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const fn = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    sent.push({ url: String(input), headers, body: new TextDecoder().decode(init.body as Uint8Array) });
    const step = steps.shift() ?? new Error('the script has no more steps');
    if (step === 'hang') {
      return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    if (step instanceof Error) throw step;
    return step;
  };
  return Object.assign(fn as typeof fetch, { sent });
}

/** The gateway's envelopes, as replies. */
export function success(data: unknown, status = 200): Response {
  return Response.json({ code: String(status), status: 'success', message: 'ok', return_data: data }, { status, headers: { 'x-request-id': 'req_ok' } });
}

export function failure(status: number, errorCode: string, headers: Record<string, string> = {}, details?: Record<string, unknown>): Response {
  const body = { code: String(status), status: 'failed', message: `refused: ${errorCode}`, error_code: errorCode, request_id: 'req_failed', ...(details ? { details } : {}) };
  return Response.json(body, { status, headers: { 'x-request-id': 'req_failed', ...headers } });
}
