import { MAX_TIMER_MS } from '../options';

interface Waiter {
  resolve(left: number): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
}

/**
 * The `waitAllChildren()` calls in progress. Each resolves 0 once nothing is
 * left (`left()` is 0: no child alive and no onChildReap promise pending), or,
 * given a timeout, with what is left when it runs out.
 */
export class Waiters {
  readonly #waiting = new Set<Waiter>();

  constructor(
    /** Children alive plus onChildReap promises still pending. */
    private readonly left: () => number,
    /** A wait begins: the loop has ended, so a held reload signal is sent now (held-reload.ts). */
    private readonly begun: () => void,
  ) {}

  get size(): number {
    return this.#waiting.size;
  }

  wait(timeoutMs?: number): Promise<number> {
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      return Promise.reject(new TypeError(`waitAllChildren(timeout): timeout must be a number of ms ≥ 0, got ${String(timeoutMs)}`));
    }
    this.begun();
    if (this.left() === 0) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
        waiter.timer = setTimeout(() => {
          this.#waiting.delete(waiter);
          // An onChildReap promise still pending is work not done: 0 only when all is settled.
          resolve(this.left());
        }, timeoutMs);
      }
      this.#waiting.add(waiter);
    });
  }

  /** A child was reaped or a reap hook settled: every waiter resolves 0 when nothing is left. */
  check(): void {
    if (this.left() !== 0) return;
    for (const waiter of this.#waiting) {
      clearTimeout(waiter.timer);
      waiter.resolve(0);
    }
    this.#waiting.clear();
  }

  /** A user hook threw while no start() ran: the oldest waiter rejects with it; false when none waits. */
  rejectOne(error: unknown): boolean {
    const [waiter] = this.#waiting;
    if (!waiter) return false;
    this.#waiting.delete(waiter);
    clearTimeout(waiter.timer);
    waiter.reject(error);
    return true;
  }
}
