import { warn } from '../warn';

/** Warnings shown per window; the rest are counted. */
const SHOWN_PER_WINDOW = 10;
/** How often a count of what was suppressed is printed, while there is something to print. */
const WINDOW_MS = 10_000;

/**
 * The warnings about one child's malformed lines, rate-limited: a child that
 * writes 100,000 bad lines got 100,000 warnings (and the manager's stderr,
 * and whoever reads it, paid for each). The first few of each window are
 * shown; then one line per window says how many were suppressed, and a last
 * one when the child ends. The timer runs only while something is counted,
 * and is unref'd: it never keeps the manager alive or wakes an idle one.
 */
export class WarnLimit {
  #shown = 0;
  #suppressed = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** What was suppressed, for the summary line: "malformed messages from child 123". */
    private readonly what: string,
    private readonly shownPerWindow = SHOWN_PER_WINDOW,
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** Prints `message` unless this window's share is used up; true when it was printed. */
  warn(message: () => string): boolean {
    if (!this.#timer) this.#timer = setTimeout(() => this.#endWindow(), this.windowMs).unref();
    if (this.#shown < this.shownPerWindow) {
      this.#shown++;
      warn(message());
      return true;
    }
    this.#suppressed++;
    return false;
  }

  /** The child ended: say what is still counted, and stop the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#report();
  }

  #endWindow(): void {
    this.#timer = undefined;
    this.#shown = 0;
    this.#report();
  }

  #report(): void {
    if (this.#suppressed === 0) return;
    warn(`${this.#suppressed} more ${this.what} were not shown (at most ${this.shownPerWindow} warnings per ${this.windowMs / 1000} s)`);
    this.#suppressed = 0;
  }
}
