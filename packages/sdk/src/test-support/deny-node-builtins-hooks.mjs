import { builtinModules } from 'node:module';

/** Whose code is held to the web platform: the built SDK and signing package (and, for the test's own control, what DENY_ALSO names). */
export const GUARDED = new RegExp(`/packages/(sdk|signing)/dist/${process.env.DENY_ALSO ? `|${process.env.DENY_ALSO}` : ''}`);

export async function resolve(specifier, context, next) {
  const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (GUARDED.test(context.parentURL ?? '') && (specifier.startsWith('node:') || builtinModules.includes(name))) {
    throw new Error(`${context.parentURL} imports ${specifier}, which an edge runtime does not have`);
  }
  return next(specifier, context);
}
