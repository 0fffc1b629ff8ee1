import type { ReportedError } from '../view';

/** One crash, as the give-up error names it. */
export interface Crash {
  pid: number;
  /** 'crashed', 'exited', 'killed', 'not-ready'… */
  reason: string;
  status?: number;
  error?: ReportedError;
}

/**
 * The give-up policy (`maxRestarts` within `restartWindow`; PM2's
 * `max_restarts`, systemd's `StartLimitBurst` / `StartLimitIntervalSec`): more
 * crashes than `maxRestarts` within the window, outside a reload, and the
 * manager stops trying: start() rejects with an error naming the last child's
 * error, so the process exits non-zero and its supervisor notices. A reload's
 * new children do not count (a reload rolls back instead). Crash times are
 * kept only for the window: at most maxRestarts + 1 numbers.
 */
export class GiveUp {
  readonly #times: number[] = [];

  constructor(
    /** undefined: never give up. */
    private readonly maxRestarts: number | undefined,
    private readonly windowMs: number,
  ) {}

  /** A crash at `now`: the error to reject start() with when it is one too many, else undefined. */
  crashed(now: number, crash: Crash): Error | undefined {
    const { maxRestarts, windowMs } = this;
    if (maxRestarts === undefined) return undefined;
    this.#times.push(now);
    while (this.#times.length > 0 && this.#times[0] <= now - windowMs) this.#times.shift();
    if (this.#times.length <= maxRestarts) return undefined;
    const how = crash.error
      ? `crashed: ${crash.error.name}: ${crash.error.message}`
      : crash.reason === 'not-ready'
        ? 'was not ready within readyTimeout'
        : `ended (${crash.reason}${crash.status === undefined ? '' : `, status ${crash.status}`})`;
    const error = new Error(
      `PreforkIPC gave up: ${this.#times.length} children failed within ${windowMs} ms ` +
        `(maxRestarts ${maxRestarts}, restartWindow ${windowMs} ms); the last, pid ${crash.pid}, ${how}`,
    ) as Error & { lastChild?: Crash };
    error.lastChild = crash;
    this.#times.length = 0;
    return error;
  }
}
