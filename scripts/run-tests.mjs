// Runs every *.test.ts under packages/ with Node's test runner (TypeScript via tsx).
// Node 20's runner does not expand globs itself, so we list the files here.
//
// Two passes: the unit and integration tests two files at a time, then the
// reliability tests (packages/server/src/reliability/: several processes,
// crashes, stopped services, fuzzing, under load) one file at a time, so that
// their load and their faults never land on a neighbour's test.
//   node scripts/run-tests.mjs                 everything
//   node scripts/run-tests.mjs <substr>...     files whose path contains one of them
//   node scripts/run-tests.mjs --reliability   the reliability pass alone
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const reliabilityOnly = args.includes('--reliability');
const filter = args.filter((a) => a !== '--reliability');
const files = find('packages').filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
const isReliability = (f) => f.includes(join('src', 'reliability') + '/');
const passes = [
  { files: reliabilityOnly ? [] : files.filter((f) => !isReliability(f)), concurrency: 2 },
  { files: files.filter(isReliability), concurrency: 1 },
];

let status = 0;
for (const pass of passes) {
  if (pass.files.length === 0) continue;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${pass.concurrency}`, ...pass.files], { stdio: 'inherit' });
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
