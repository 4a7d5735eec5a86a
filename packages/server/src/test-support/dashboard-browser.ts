import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestGateway } from './test-gateway.js';

/** The dashboard API as a browser calls it, for the dashboard's tests. */

export const ORIGIN = 'https://gateway.test';
export const PASSWORD = 'correct horse battery staple';
// Tests hash at argon2's cheapest cost (1 MiB, 1 pass) so the file stays fast;
// core/dashboard/passwords.test.ts checks the production parameters.
export const CHEAP_ARGON2 = { TIJORI_DASHBOARD_ARGON2_MEMORY_KIB: '1024', TIJORI_DASHBOARD_ARGON2_ITERATIONS: '1' };

let counter = 0;
export const newEmail = () => `user${++counter}-${Date.now()}@shop.example`;

/** A browser: one cookie jar, the session's CSRF token, our Origin, its own address. */
export class Browser {
  cookie: string | undefined;
  csrf: string | undefined;
  readonly ip: string;
  constructor(
    readonly gw: TestGateway,
    ip?: string,
  ) {
    this.ip = ip ?? `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS', path: string, body?: unknown, headers: Record<string, string | undefined> = {}): Promise<LightMyRequestResponse> {
    const h: Record<string, string> = { host: 'gateway.test', origin: ORIGIN, 'user-agent': 'test-browser' };
    if (this.cookie) h.cookie = `tijori_session=${this.cookie}`;
    if (this.csrf) h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) delete h[k];
      else h[k] = v;
    }
    const res = await this.gw.gateway.app.inject({ method, url: `/dashboard/api${path}`, headers: h, remoteAddress: this.ip, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
    const set = res.headers['set-cookie'];
    const line = Array.isArray(set) ? set[0] : set;
    if (line) {
      const value = /^tijori_session=([^;]*)/.exec(line)?.[1];
      this.cookie = value || undefined;
    }
    const json = String(res.headers['content-type'] ?? '').includes('application/json') ? (res.json() as { csrf_token?: string }) : undefined;
    if (json?.csrf_token) this.csrf = json.csrf_token;
    return res;
  }

  async signUp(email = newEmail(), merchantName = 'Shop'): Promise<string> {
    const res = await this.call('POST', '/sign-up', { merchant_name: merchantName, email, password: PASSWORD });
    assert.equal(res.statusCode, 201, res.body);
    return email;
  }

  async signIn(email: string, password = PASSWORD): Promise<LightMyRequestResponse> {
    this.csrf = undefined;
    return this.call('POST', '/sign-in', { email, password });
  }

  async me(): Promise<{ user: { id: string; role: string; email: string }; merchant: { id: string }; session: { id: string; stage: string } }> {
    const res = await this.call('GET', '/me');
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
}

export function errorCode(res: LightMyRequestResponse): string {
  return (res.json() as { error_code: string }).error_code;
}

