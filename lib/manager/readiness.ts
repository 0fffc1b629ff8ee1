/**
 * `readyTimeout`: one timer per starting child, from its spawn to its `ready`
 * message (or its end). A child that misses it is the manager's to stop
 * (`missed`): its end is reported as `'not-ready'`, and a reload counts it as
 * a failed step. Nothing polls: a timer per child that is starting, cleared
 * when it is ready, unref'd so it never holds a process open by itself.
 */
export class ReadyWatch {
  readonly #timers = new Map<number, NodeJS.Timeout>();

  constructor(
    /** ms; undefined: no limit. */
    private readonly timeoutMs: number | undefined,
    private readonly missed: (pid: number) => void,
  ) {}

  /** Child `pid` was spawned: its clock starts. */
  spawned(pid: number): void {
    if (this.timeoutMs === undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(pid);
      this.missed(pid);
    }, this.timeoutMs);
    timer.unref();
    this.#timers.set(pid, timer);
  }

  /** Child `pid` is ready, or gone: its clock stops. */
  settled(pid: number): void {
    const timer = this.#timers.get(pid);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(pid);
  }

  /** Children still starting under a clock (tests). */
  get watched(): number {
    return this.#timers.size;
  }
}
