import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERRORS } from '../../server/src/errors/catalogue.js';
import {
  errorFromReply,
  TijoriAuthenticationError,
  TijoriConflictError,
  TijoriError,
  TijoriNotFoundError,
  TijoriPermissionError,
  TijoriRateLimitError,
  TijoriServerError,
  TijoriValidationError,
} from './errors.js';

function expectedClass(status: number): new (...args: never[]) => TijoriError {
  if (status === 401) return TijoriAuthenticationError;
  if (status === 403) return TijoriPermissionError;
  if (status === 404) return TijoriNotFoundError;
  if (status === 409) return TijoriConflictError;
  if (status === 429) return TijoriRateLimitError;
  return status >= 500 ? TijoriServerError : TijoriValidationError;
}

describe('errors from the gateway\'s replies', () => {
  it('gives every code in the gateway\'s catalogue the class of its status, with status, code, message, request id and details', () => {
    for (const [code, { status, message }] of Object.entries(ERRORS)) {
      const reply = { status, headers: new Headers({ 'x-request-id': 'req_header' }), body: new Uint8Array() };
      const err = errorFromReply(reply, { code: String(status), status: 'failed', message, error_code: code, request_id: 'req_body', details: { n: 1 } }, status === 429 ? 30 : undefined);
      assert.ok(err instanceof expectedClass(status), `${code} (${status}) became ${err.name}`);
      assert.equal(err.name, expectedClass(status).name);
      assert.deepEqual([err.status, err.errorCode, err.message, err.requestId, err.details], [status, code, message, 'req_header', { n: 1 }], code);
      if (err instanceof TijoriRateLimitError) assert.equal(err.retryAfter, 30);
    }
  });

  it('relies on duplicate_order_id being a 409, as the idempotent create does', () => {
    assert.equal(ERRORS.duplicate_order_id.status, 409);
  });

  it('reads the request id from the envelope when the header is missing, and explains a reply without an envelope', () => {
    const envelope = { status: 'failed', message: 'm', error_code: 'internal_error', request_id: 'req_body' };
    assert.equal(errorFromReply({ status: 500, headers: new Headers(), body: new Uint8Array() }, envelope, undefined).requestId, 'req_body');
    const bare = errorFromReply({ status: 504, headers: new Headers(), body: new Uint8Array() }, undefined, undefined);
    assert.ok(bare instanceof TijoriServerError);
    assert.equal(bare.errorCode, undefined);
    assert.match(bare.message, /504 without Tijori's JSON error envelope/);
  });
});
