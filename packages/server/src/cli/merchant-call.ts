import type { AdminFailureBody } from './admin-client.js';
import type { MerchantCredentials } from './merchant-credentials.js';
import { EXIT } from './run-admin-command.js';
import { readTijoriReply, sendSigned } from './signed-request.js';

/** A merchant API call's outcome for a command: its return_data, or the exit code and sentence to stop with. */
export type MerchantCallResult<T> = { ok: true; data: T } | { ok: false; exitCode: number; message: string; failure?: AdminFailureBody };

/**
 * One signed POST (v2, JSON body, fresh timestamp) to a merchant API route,
 * read as the gateway's envelope: `trigger` and `listen` are made of these.
 */
export async function merchantCall<T>(credentials: MerchantCredentials, path: string, body: unknown, timeoutMs?: number): Promise<MerchantCallResult<T>> {
  const scheme = 'v2' as const;
  const reply = await sendSigned(credentials, { method: 'POST', path, body: JSON.stringify(body), scheme, ...(timeoutMs ? { timeoutMs } : {}) });
  if (!reply.ok) return { ok: false, exitCode: EXIT.unreachable, message: reply.message };
  const meaning = readTijoriReply(reply);
  if (meaning.kind === 'not_tijori') return { ok: false, exitCode: EXIT.unreachable, message: meaning.message };
  if (meaning.kind === 'refused') {
    const f = meaning.failure;
    return { ok: false, exitCode: EXIT.refused, message: `${f.error_code}: ${f.message} (${f.request_id})`, failure: f };
  }
  const data = (meaning.json as { return_data?: T } | undefined)?.return_data;
  if (data === undefined) return { ok: false, exitCode: EXIT.unreachable, message: `${credentials.baseUrl}${path} answered without return_data: is --url a Tijori gateway?` };
  return { ok: true, data };
}
