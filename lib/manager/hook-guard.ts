/**
 * Calling the user's hooks (beforeFork, afterFork, onChildReap) so that
 * whatever they throw or reject with reaches one place, `onError`, which the
 * manager turns into a rejection of the promise the user is awaiting.
 */

/** What `callHook` returns when the hook threw synchronously. */
export const THREW: unique symbol = Symbol('threw');

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Runs a hook; a synchronous throw goes to `onError` and gives `THREW`, anything else is the hook's result. */
export function callHook(hook: () => unknown, onError: (error: unknown) => void): unknown {
  try {
    return hook();
  } catch (err) {
    onError(err);
    return THREW;
  }
}

/**
 * For a hook's result that is a promise: a rejection goes to `onError`, and
 * the returned promise resolves once it settled. Undefined for any other result.
 */
export function settleHook(result: unknown, onError: (error: unknown) => void): Promise<void> | undefined {
  if (!isThenable(result)) return undefined;
  return Promise.resolve(result).then(
    () => undefined,
    (err: unknown) => onError(err),
  );
}
