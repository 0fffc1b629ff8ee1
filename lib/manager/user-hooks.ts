import type { ForkInfo, ResolvedOptions } from '../options';
import type { ManagerView, ReapInfo, ReloadFailedInfo } from '../view';
import { callHook, isThenable, settleHook, THREW } from './hook-guard';

/**
 * The user's pool hooks (beforeFork, afterFork, onChildReap) as the manager
 * calls them around each lifetime: what a hook may return, what a throw or a
 * rejection does (`fail`: the running start() or waitAllChildren() rejects),
 * and the onChildReap promises waitAllChildren() still waits for.
 */
export class UserHooks {
  readonly #pendingReaps = new Set<Promise<void>>();

  constructor(
    private readonly owner: ManagerView,
    private readonly options: Pick<ResolvedOptions, 'beforeFork' | 'afterFork' | 'onChildReap' | 'onReloadFailed'>,
    private readonly fail: (error: unknown) => void,
    /** An onChildReap promise settled: waitAllChildren() may be done. */
    private readonly reapSettled: () => void,
  ) {}

  /** onChildReap promises not settled yet. */
  get pendingReaps(): number {
    return this.#pendingReaps.size;
  }

  /**
   * Calls beforeFork for a lifetime about to begin: `{ workerData }`, or
   * undefined when it threw, returned a promise, or called stop()
   * (`stillStarting` says whether start() is still running after it).
   */
  beforeFork(stillStarting: () => boolean, info: ForkInfo): { workerData: unknown } | undefined {
    const { beforeFork } = this.options;
    const workerData = beforeFork ? callHook(() => beforeFork(this.owner, { ...info }), this.fail) : undefined;
    if (workerData === THREW) return undefined;
    if (isThenable(workerData)) {
      workerData.then(undefined, () => {}); // reported as the TypeError below, not as an unhandled rejection
      this.fail(
        new TypeError(
          'beforeFork must return the workerData itself, not a promise: fetch per-child data ' +
            'asynchronously through a callback instead',
        ),
      );
      return undefined;
    }
    // beforeFork may have called stop(): begin nothing more then.
    if (!stillStarting()) return undefined;
    return { workerData };
  }

  /** afterFork; false when it threw. */
  afterFork(pid: number, info: ForkInfo): boolean {
    const { afterFork } = this.options;
    if (!afterFork) return true;
    const result = callHook(() => afterFork(this.owner, pid, { ...info }), this.fail);
    if (result === THREW) return false;
    void settleHook(result, this.fail);
    return true;
  }

  get reaps(): boolean {
    return this.options.onChildReap !== undefined;
  }

  /** onChildReap for one lifetime. */
  onChildReap(pid: number, status: number, payload: unknown, info: ReapInfo): void {
    const { onChildReap } = this.options;
    if (!onChildReap) return;
    const result = callHook(() => onChildReap(this.owner, pid, status, payload, info), this.fail);
    const done = result === THREW ? undefined : settleHook(result, this.fail);
    if (!done) return;
    this.#pendingReaps.add(done);
    void done.finally(() => {
      this.#pendingReaps.delete(done);
      this.reapSettled();
    });
  }

  /** onReloadFailed: a gated reload was abandoned. A throw or rejection fails the running start(), as any hook's. */
  onReloadFailed(info: ReloadFailedInfo): void {
    const { onReloadFailed } = this.options;
    if (!onReloadFailed) return;
    const result = callHook(() => onReloadFailed(this.owner, info), this.fail);
    if (result !== THREW) void settleHook(result, this.fail);
  }
}
