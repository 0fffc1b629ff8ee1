import { MAX_TIMER_MS } from '../options';

/**
 * A signal forwarded one child at a time, `intervalMs` apart (the
 * `[signal, intervalMs]` form of a `trapSignals` action). It runs beside the
 * pool, as Perl's Parallel::Prefork does it: start() signals the first child
 * and returns, the rest are sent from a timer while the next start() already
 * refills the freed slots. (It used to hold start() for the whole stagger:
 * measured with 3 children and a 1 s interval, start() returned 2.3 s after
 * the HUP with one child left, and a 4-child server's slowest request doubled.)
 */
export class Stagger<T> {
  readonly #targets: T[];
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  /** `send` is called for each of `targets` in turn; `ended` once, after the last. */
  constructor(
    targets: T[],
    private readonly intervalMs: number,
    private readonly send: (target: T) => void,
    private readonly ended: () => void,
  ) {
    this.#targets = [...targets];
  }

  /** Sends to the first child now and to the others one per interval. */
  run(): void {
    const target = this.#targets.shift();
    if (target !== undefined) this.send(target);
    if (this.#targets.length > 0) {
      this.#timer = setTimeout(() => this.run(), Math.min(this.intervalMs, MAX_TIMER_MS));
      return;
    }
    this.#end();
  }

  /** More children for the same stagger (the same signal arrived again): they queue behind those still waiting. */
  extend(targets: T[]): void {
    for (const target of targets) if (!this.#targets.includes(target)) this.#targets.push(target);
  }

  /** Sends to every child still waiting, now (a TERM during a rolling restart). */
  flush(): void {
    clearTimeout(this.#timer);
    for (const target of this.#targets.splice(0)) this.send(target);
    this.#end();
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.ended();
  }
}
