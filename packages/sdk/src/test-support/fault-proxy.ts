/**
 * A small HTTP proxy between the SDK and a real gateway that misbehaves on
 * cue, one scripted fault per request: it loses the gateway's reply after
 * the gateway acted on the request, answers in the gateway's place (502,
 * 429 with Retry-After), holds the request without answering, or alters the
 * reply on its way back. Every request it receives is recorded.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Forward, and pass the reply back unchanged. */
  | 'pass'
  /** Forward, let the gateway act, then close the connection instead of replying. */
  | 'drop-reply'
  /** Forward, let the gateway act, then hold its reply back (until the proxy closes): a reply slower than the client's timeout. */
  | 'late-reply'
  /** Close the connection without forwarding. */
  | 'reset'
  /** Never answer (until the proxy closes). */
  | 'hold'
  /** Forward, then change one byte of the reply body on its way back. */
  | 'tamper-body'
  /** Forward, then remove the reply's Signature, Signature-Input and Content-Digest. */
  | 'strip-signature'
  /** Answer in the gateway's place without forwarding. */
  | { status: number; headers?: Record<string, string>; body?: string };

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  fault: Fault;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  /** Consumed one per request; when empty, requests pass. */
  faults: Fault[] = [];
  readonly #target: string;
  readonly #server: Server;

  constructor(target: string) {
    this.#target = target;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.#handle(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks), res, () => req.socket.destroy());
      });
    });
  }

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Requests seen for one path. */
  to(path: string): SeenRequest[] {
    return this.seen.filter((s) => s.path === path);
  }

  reset(): void {
    this.seen.length = 0;
    this.faults = [];
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer, res: import('node:http').ServerResponse, destroy: () => void): Promise<void> {
    const fault = this.faults.shift() ?? 'pass';
    this.seen.push({ method, path, headers, body, fault });
    if (fault === 'reset') return destroy();
    if (fault === 'hold') return;
    if (typeof fault === 'object') {
      res.writeHead(fault.status, { 'content-type': 'text/html', ...fault.headers });
      res.end(fault.body ?? '<html><body>Bad gateway</body></html>');
      return;
    }
    const forwarded: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') forwarded[name] = value;
    }
    const upstream = await fetch(this.#target + path, { method, headers: forwarded, ...(method === 'GET' ? {} : { body: new Uint8Array(body) }) });
    const reply = Buffer.from(await upstream.arrayBuffer());
    if (fault === 'drop-reply') return destroy();
    if (fault === 'late-reply') return;
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) out[name] = value;
    });
    if (fault === 'strip-signature') for (const name of ['signature', 'signature-input', 'content-digest']) delete out[name];
    // One character of the JSON changed for another: same length, different bytes.
    if (fault === 'tamper-body') {
      const at = reply.indexOf('"'.charCodeAt(0)) + 1;
      reply[at] = reply[at]! ^ 0x01;
    }
    res.writeHead(upstream.status, out);
    res.end(reply);
  }
}
