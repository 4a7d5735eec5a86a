/**
 * Plain text tables for a terminal: padded columns, two spaces between,
 * no borders and no trailing blanks, so output also greps and diffs well.
 * Hand-written rather than a dependency: it is twenty lines, and the CLI
 * should not pull a formatting library into the server package.
 */

export type Cell = string | number | boolean | null | undefined;

// Operator-supplied text (a merchant name, a key label) must not move the
// cursor, clear the screen or forge extra lines in someone's terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A cell as text: null and undefined as "-", control characters escaped. */
export function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Columns are as wide as their widest cell (counted in UTF-16 units: wide scripts may misalign, never wrap). */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [headers.map((h) => h), ...rows.map((row) => headers.map((_, i) => cellText(row[i])))];
  const widths = headers.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)));
  return text.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

/** Label/value lines for one object ("API key   pk_test_…"). */
export function renderFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}`.trimEnd()).join('\n') + '\n';
}
