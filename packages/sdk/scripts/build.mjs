// Builds the two outputs from one source: ESM (dist/esm, what `import` gets) and
// CommonJS (dist/cjs, what `require` gets), both with their declarations.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const here = new URL('..', import.meta.url);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(new URL('dist', here), { recursive: true, force: true });
for (const project of ['tsconfig.json', 'tsconfig.cjs.json']) {
  const run = spawnSync(process.execPath, [tsc, '-p', project], { cwd: here, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
// The package is "type": "module"; this marks the .js files under dist/cjs as CommonJS.
writeFileSync(new URL('dist/cjs/package.json', here), '{ "type": "commonjs" }\n');
