/**
 * The manager's heartbeat for the jobs its host holds: every `intervalMs`, one
 * statement for all of them (`heartbeatSql`), only while it holds any. A beat
 * that is still running when the next is due is not doubled. (Jobs just
 * fetched need no beat of their own: the fetch statement gives them their
 * first short expiry, `heartbeatFetchSql`.) The timer is unref'd: it never
 * keeps the process alive.
 */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  /**
   * `beat` runs the statement; `holding` says whether there is anything to
   * keep alive. Errors of `beat` are its own to report (it runs again at the
   * next interval).
   */
  constructor(
    private readonly intervalMs: number,
    private readonly holding: () => boolean,
    private readonly beat: () => Promise<void>,
  ) {}

  /** Jobs were fetched, or settled: start or stop the timer. */
  update(): void {
    if (this.#stopped) return;
    if (!this.holding()) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#run(), this.intervalMs);
      this.#timer.unref();
    }
  }

  /** No more beats; resolves once a beat in flight is over. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #run(): void {
    if (this.#stopped || !this.holding()) return;
    if (this.#running) {
      this.#again = true; // a beat fell due during a slow one: one more once it is over
      return;
    }
    this.#running = this.beat().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#run();
      }
    });
  }
}
