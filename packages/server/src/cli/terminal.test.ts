import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { styleFor } from './terminal.js';

describe('styleFor', () => {
  it('colours only a terminal, and only while NO_COLOR is unset or empty', () => {
    assert.equal(styleFor({ isTTY: true }, {}).red('x'), '\u001b[31mx\u001b[39m');
    assert.equal(styleFor({ isTTY: true }, { NO_COLOR: '' }).bold('x'), '\u001b[1mx\u001b[22m');
    assert.equal(styleFor({ isTTY: true }, { NO_COLOR: '1' }).red('x'), 'x');
    assert.equal(styleFor({ isTTY: false }, {}).green('x'), 'x');
    assert.equal(styleFor({}, {}).dim('x'), 'x');
  });
});
