// Preloaded (node --import) into a child process to stand in for an edge runtime. The web platform's
// globals stay (fetch, crypto.subtle, TextEncoder, atob); for the SDK's and the signing package's built
// files, Node's are gone: importing a built-in throws (deny-node-builtins-hooks.mjs), and so does
// touching the global Buffer. (Buffer itself must stay for everyone else: Node's own fetch uses it.)
import { register } from 'node:module';
import { GUARDED } from './deny-node-builtins-hooks.mjs';

register(new URL('./deny-node-builtins-hooks.mjs', import.meta.url));

const RealBuffer = globalThis.Buffer;
Object.defineProperty(globalThis, 'Buffer', {
  configurable: true,
  get() {
    // The frame that touched Buffer: the line after this getter's own.
    const caller = new Error().stack?.split('\n')[2] ?? '';
    if (GUARDED.test(caller)) throw new ReferenceError(`Buffer is not defined (touched by ${caller.trim()}, which an edge runtime does not have)`);
    return RealBuffer;
  },
});
