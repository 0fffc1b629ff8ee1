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
  ) {}

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
