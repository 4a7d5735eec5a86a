import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimitHeaders } from './rate-limit-headers.js';

describe('rateLimitHeaders', () => {
  it('gives limit, remaining and reset in whole seconds for an allowed request, without Retry-After', () => {
    assert.deepEqual(rateLimitHeaders({ allowed: true, limit: 10, remaining: 7, resetSeconds: 18, retryAfterSeconds: 0 }), {
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '7',
      'RateLimit-Reset': '18',
    });
  });

  it('adds Retry-After to a refusal', () => {
    assert.deepEqual(rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetSeconds: 60, retryAfterSeconds: 6 }), {
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '60',
      'Retry-After': '6',
    });
  });
});
