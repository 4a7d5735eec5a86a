import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * `--data` as curl spells it: the text itself, `@file` for a file's bytes,
 * `@-` for standard input. Bytes are kept exactly (a trailing newline
 * included), because a signature covers every byte: the command that signs
 * and the command that sends must see the same ones.
 */
export type Data =
  | { ok: true; bytes: Buffer; from: 'none' | 'inline' | 'stdin' }
  | { ok: true; bytes: Buffer; from: 'file'; file: string }
  | { ok: false; message: string };

export async function readData(spec: string | undefined, cwd: string, stdin: () => Promise<Buffer>): Promise<Data> {
  if (spec === undefined) return { ok: true, bytes: Buffer.alloc(0), from: 'none' };
  if (spec === '@-') return { ok: true, bytes: await stdin(), from: 'stdin' };
  if (!spec.startsWith('@')) {
    // A forgotten @ sends the file's name as the body; say so before anything is signed.
    if (/^[\w./-]+\.json$/.test(spec) && existsSync(resolve(cwd, spec))) {
      return { ok: false, message: `--data ${spec}: that is a file name; write --data @${spec} to send the file's contents.` };
    }
    return { ok: true, bytes: Buffer.from(spec, 'utf8'), from: 'inline' };
  }
  const file = resolve(cwd, spec.slice(1));
  try {
    return { ok: true, bytes: await readFile(file), from: 'file', file };
  } catch (err) {
    return { ok: false, message: `--data ${spec}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).` };
  }
}

export { parseJsonBytes, utf8Text } from '../lib/json-bytes.js';
