import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellText, renderFields, renderTable } from './table.js';

describe('renderTable', () => {
  it('pads every column to its widest cell, two spaces apart, without trailing blanks', () => {
    const out = renderTable(['ID', 'NAME', 'STATUS'], [
      ['mer_1', 'Acme Traders', 'active'],
      ['mer_22', 'B', 'suspended'],
    ]);
    assert.equal(out, ['ID      NAME          STATUS', 'mer_1   Acme Traders  active', 'mer_22  B             suspended', ''].join('\n'));
  });

  it('prints only the header row for no rows', () => {
    assert.equal(renderTable(['A', 'B'], []), 'A  B\n');
  });

  it('shows a missing value as "-" so columns stay aligned', () => {
    assert.equal(renderTable(['A', 'B', 'C'], [[null, undefined, '']]), 'A  B  C\n-  -  -\n');
  });
});

describe('cellText', () => {
  it('escapes control characters, so a name cannot forge lines or drive the terminal', () => {
    assert.equal(cellText('evil\nmer_x  active'), 'evil\\u000amer_x  active');
    assert.equal(cellText('\u001b[2Jgone'), '\\u001b[2Jgone');
  });

  it('writes numbers and booleans as they are', () => {
    assert.equal(cellText(0), '0');
    assert.equal(cellText(false), 'false');
  });
});

describe('renderFields', () => {
  it('aligns values after the longest label', () => {
    assert.equal(renderFields([['Id', 'mer_1'], ['Status', 'active'], ['Label', null]]), 'Id      mer_1\nStatus  active\nLabel   -\n');
  });
});
