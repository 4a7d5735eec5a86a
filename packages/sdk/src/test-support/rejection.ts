import assert from 'node:assert/strict';

/** The error a promise rejects with, asserted to be of `type` (assert.rejects returns nothing to inspect further). */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${type.name}, got no error`);
}
