import { getEventListeners } from 'node:events';

/**
 * One lifetime as the child sees it: its number, its workerData, and the
 * AbortSignal that `lifetimeTimeout` or the manager's `cancel()` aborts. A
 * fresh one per lifetime, so an abort meant for one lifetime never reaches
 * the next (a delayed kill hitting the next task is a complaint peers hear).
 */
export class ChildLifetime {
  readonly #controller = new AbortController();

  constructor(
    readonly number: number,
    readonly workerData: unknown,
    readonly maxWorkers: number,
    /** Called when an 'abort' listener is added to or removed from this lifetime's signal. */
    watchersChanged?: () => void,
  ) {
    if (watchersChanged) watchAbortListeners(this.#controller.signal, watchersChanged);
  }

  /**
   * Someone waits for this lifetime's abort: its signal has an 'abort' listener
   * (addEventListener, onabort, fetch(), timers/promises) and has not aborted.
   * The child's channel holds the event loop open meanwhile, or a child that
   * only waits for its abort would exit at once.
   */
  get abortAwaited(): boolean {
    const signal = this.#controller.signal;
    return !signal.aborted && getEventListeners(signal, 'abort').length > 0;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** `timeout`: lifetimeTimeout passed; otherwise the manager's cancel() with `reason`. */
  abort(reason: string, timeout: boolean): void {
    if (this.#controller.signal.aborted) return;
    // The same error names AbortSignal.timeout() and AbortController.abort() give, so
    // `err.name === 'TimeoutError'` / `'AbortError'` checks written for fetch() work here too.
    const error = new Error(
      timeout ? `this lifetime ran past lifetimeTimeout (lifetime ${this.number})` : `the manager cancelled this lifetime: ${reason}`,
    );
    error.name = timeout ? 'TimeoutError' : 'AbortError';
    this.#controller.abort(error);
  }
}

/** What `ppi.abortSignal` is before the first lifetime and in the manager: a signal that never aborts. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * Tells `changed` when an 'abort' listener comes or goes. An EventTarget has no
 * such event, so this signal's own add/removeEventListener wrap the prototype's
 * (`onabort` and Node's own users, timers/promises and fetch, call them too;
 * `AbortSignal.any()` does not, and is not seen). One closure pair per lifetime.
 */
function watchAbortListeners(signal: AbortSignal, changed: () => void): void {
  const target = EventTarget.prototype;
  signal.addEventListener = function (this: AbortSignal, ...args: Parameters<AbortSignal['addEventListener']>) {
    target.addEventListener.apply(this, args);
    changed();
  };
  signal.removeEventListener = function (this: AbortSignal, ...args: Parameters<AbortSignal['removeEventListener']>) {
    target.removeEventListener.apply(this, args);
    changed();
  };
}
