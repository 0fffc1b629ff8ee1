import { MAX_TIMER_MS } from '../options';

/**
 * A signal forwarded one child at a time, `intervalMs` apart (the
 * `[signal, intervalMs]` form of a `trapSignals` action), and whoever waits
 * for it to reach the last child.
 */
export class Stagger<T> {
  readonly #waiting: Array<() => void> = [];

  /**
   * `send` is called for each of `targets` in turn; `ended` once the last one
   * was sent, before the waiters are told.
   */
  constructor(
    private readonly targets: T[],
    private readonly intervalMs: number,
    private readonly send: (target: T) => void,
    private readonly ended: () => void,
  ) {}

  /** Calls `done` once the signal has reached the last child. */
  join(done: () => void): void {
    this.#waiting.push(done);
  }

  /** Sends to the first child now and to the others one per interval. */
  run(): void {
    const target = this.targets.shift();
    if (target !== undefined) this.send(target);
    if (this.targets.length > 0) {
      setTimeout(() => this.run(), Math.min(this.intervalMs, MAX_TIMER_MS));
      return;
    }
    this.ended();
    for (const done of this.#waiting) done();
  }
}
