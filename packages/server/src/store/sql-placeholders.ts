const placeholderCache = new Map<string, string>();

/** "($1, $2), ($3, $4)" for 2 rows of 2 columns (numbered from `after` + 1); cached, as batch sizes repeat. */
export function placeholders(rows: number, columns: number, after = 0): string {
  const cacheKey = `${rows}x${columns}+${after}`;
  const cached = placeholderCache.get(cacheKey);
  if (cached) return cached;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${after + r * columns + c}`);
    tuples.push(`(${cells.join(', ')})`);
  }
  const text = tuples.join(', ');
  placeholderCache.set(cacheKey, text);
  return text;
}
