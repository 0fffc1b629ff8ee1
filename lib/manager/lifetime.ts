import type { ReportedError, ServedInfo } from '../view';

/**
 * One lifetime as the manager sees it: from handing it to a child (spawn, or
 * `next-lifetime` for a reused child) to its finish() or the process's end.
 * Its timers (lifetimeTimeout, and the SIGKILL that follows an abort) belong
 * to it and die with it, so a kill meant for one lifetime never hits the next.
 */
export class Lifetime {
  finished = false;
  /** The code given to finish(). */
  code = 0;
  payload: unknown = undefined;
  /** Tells a finish() with payload undefined from no finish(). */
  hasPayload = false;
  /** The uncaught exception the child reported during this lifetime. */
  error: ReportedError | undefined;
  /** Sent with finish() when ppi.serve() ended the lifetime (ReapInfo.served). */
  served: ServedInfo | undefined;
  /** lifetimeTimeout passed: an end without finish() is reported as 'timeout'. */
  timedOut = false;
  /** An abort (timeout or cancel()) armed its SIGKILL already. */
  killArmed = false;
  readonly startedAt = Date.now();
  #timers: NodeJS.Timeout[] = [];

  constructor(readonly number: number) {}

  /** Runs `fn` after `ms`, unless the lifetime is over by then. */
  later(ms: number, fn: () => void): void {
    this.#timers.push(setTimeout(fn, ms));
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }
}
