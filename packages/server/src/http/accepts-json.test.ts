import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsJson } from './accepts-json.js';

describe('acceptsJson', () => {
  it('accepts a missing or empty header', () => {
    assert.equal(acceptsJson(undefined), true);
    assert.equal(acceptsJson(''), true);
  });
  it('accepts JSON, wildcards and JSON among others', () => {
    for (const h of ['application/json', 'application/json; charset=utf-8', '*/*', 'application/*', 'text/html, application/json;q=0.5', 'APPLICATION/JSON']) {
      assert.equal(acceptsJson(h), true, h);
    }
  });
  it('refuses headers that exclude JSON', () => {
    for (const h of ['text/html', 'application/xml', 'application/json;q=0', 'text/*']) {
      assert.equal(acceptsJson(h), false, h);
    }
  });
});
