import { warn } from '../warn';

/**
 * Lifetimes shorter than this that end without finish() look like a script
 * that falls off the end of its work. Counted from the spawn, so it includes
 * Node's start-up: ≈ 60 ms on a quiet machine, up to ≈ 0.5 s on the loaded
 * 2-core one the tests run on; 5 s leaves room for both.
 */
const SHORT_MS = 5000;
/** How many in a row before the warning: one could be a real early exit, three are a pattern. */
const IN_A_ROW = 3;

/**
 * Says once, clearly, that the pool's children keep ending without finish()
 * right after they start. A non-zero exit already warns; an exit 0 did not,
 * and a port whose children fell off the end of their work was respawned 81
 * times in 6 s without a word.
 */
export class EarlyExitWatch {
  #inARow = 0;
  #warned = false;

  constructor(private readonly reuse: boolean) {}

  /** A lifetime ended; `withoutFinish`: by 'exited'. */
  ended(pid: number, withoutFinish: boolean, status: number, lastedMs: number): void {
    if (!withoutFinish || lastedMs >= SHORT_MS) {
      this.#inARow = 0;
      return;
    }
    if (++this.#inARow < IN_A_ROW || this.#warned) return;
    this.#warned = true;
    warn(
      `children keep ending without calling finish() right after they start (${IN_A_ROW} in a row; ` +
        `the last, pid ${pid}, exited with status ${status} after ${lastedMs} ms), and the manager keeps respawning them. ` +
        `End a child's work with await ppi.finish(code, payload)` +
        (this.reuse ? ', and with lifetimesPerChild > 1 go round the loop to start() again instead of leaving it.' : '.'),
    );
  }
}
