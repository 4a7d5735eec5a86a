import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERRORS } from './catalogue.js';

const DOC = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
// Rows of the table: | `code` | status | ...
const documented = new Map([...DOC.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1] as string, Number(m[2])]));

describe('error catalogue', () => {
  it('documents every code with its status in docs/errors.md', () => {
    for (const code of ERROR_CODES) {
      assert.equal(documented.get(code), ERRORS[code].status, `docs/errors.md must list \`${code}\` with status ${ERRORS[code].status}`);
    }
  });

  it('documents no code that does not exist', () => {
    for (const code of documented.keys()) assert.ok(code in ERRORS, `docs/errors.md lists unknown code ${code}`);
  });

  it('uses snake_case codes and statuses of 4xx or 5xx only', () => {
    for (const code of ERROR_CODES) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      assert.ok(ERRORS[code].status >= 400 && ERRORS[code].status < 600);
    }
  });
});
