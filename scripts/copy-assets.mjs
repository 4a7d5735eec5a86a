// Copies non-TypeScript assets (e.g. .sql migrations) from src to dist, keeping paths.
// Usage: node copy-assets.mjs <src> <dist> <ext>...
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [src, dist, ...exts] = process.argv.slice(2);
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (exts.some((e) => name.endsWith(`.${e}`))) cpSync(path, join(dist, path.slice(src.length)));
  }
}
walk(src);
