import type { ResolvedOptions } from '../options';
import type { ReapInfo, ReloadFailedInfo } from '../view';
import { warn } from '../warn';
import type { ChildHandle } from './child-handle';
import { EarlyExitWatch } from './early-exit-watch';
import { GiveUp, type Crash } from './give-up';
import type { Lifetime } from './lifetime';
import type { SizingPolicy } from './policy';
import { ReadyWatch } from './readiness';
import { reapInfo, type ProcessEnd } from './reap-info';
import type { ReloadEvents } from './reload-events';
import type { UserHooks } from './user-hooks';

/** The pool's state the failures read (the manager itself). */
export interface FailingPool {
  readonly running: boolean;
  readonly generation: number;
  readonly children: ReadonlyMap<number, ChildHandle>;
}

/** Three of the manager's actions. */
export interface StartFailuresHost {
  /** Tells `child` to stop with the signal a shrink uses (gracePeriod armed); `release`: its slot is free at once. */
  stopChild(child: ChildHandle, release: boolean): void;
  /** Asks the policy again (manager's loop). */
  fill(): void;
  /** Rejects the running start() (or a waiter) with `error`. */
  fail(error: unknown): void;
}

/**
 * Children of the running generation that fail to start or end without being
 * told to: a deploy that does not come up. Each is one of
 * - a crash outside a reload: one more towards `maxRestarts` within
 *   `restartWindow` (give-up.ts); past it start() rejects and the pool stops;
 * - a gated reload's failed step: after `reloadAttempts` of them the reload is
 *   abandoned (the old generation keeps serving) and `onReloadFailed` hears why;
 * - a child past `readyTimeout` (readiness.ts): stopped, then counted as one of
 *   the two above (reason `'not-ready'`).
 * The crash pacing itself is the policy's (`lifetimeEnded`); this file says
 * what a failure means and warns about it. The manager calls `spawned`,
 * `settled` and `ended`; nothing here polls.
 */
export class StartFailures {
  readonly #giveUp: GiveUp;
  readonly #readyWatch: ReadyWatch;
  readonly #earlyExits: EarlyExitWatch;

  constructor(
    private readonly options: Pick<ResolvedOptions, 'maxRestarts' | 'restartWindow' | 'readyTimeout' | 'errRespawnInterval'>,
    reuse: boolean,
    private readonly pool: FailingPool,
    private readonly host: StartFailuresHost,
    private readonly policy: SizingPolicy,
    private readonly reloads: ReloadEvents,
    private readonly hooks: UserHooks,
  ) {
    this.#giveUp = new GiveUp(options.maxRestarts, options.restartWindow);
    this.#readyWatch = new ReadyWatch(options.readyTimeout, (pid) => this.#notReady(pid));
    this.#earlyExits = new EarlyExitWatch(reuse);
  }

  /** Child `pid` was spawned: its readyTimeout clock starts. */
  spawned(pid: number): void {
    this.#readyWatch.spawned(pid);
  }

  /** Child `pid` is ready or gone: its readyTimeout clock stops. */
  settled(pid: number): void {
    this.#readyWatch.settled(pid);
  }

  /**
   * A lifetime of the running generation ended by itself (the manager told the child nothing):
   * a failed reload step if the child never got ready during a reload, the policy's crash pacing,
   * and a crash towards maxRestarts if it exited non-zero without finish().
   */
  ended(child: ChildHandle, lifetime: Lifetime, status: number, end: ProcessEnd): void {
    const info = reapInfo(lifetime, end, child.notReady);
    const reloadStep = child.readyAt === undefined && this.policy.reloading;
    if (reloadStep) this.#reloadStepFailed(child, info, status);
    this.policy.lifetimeEnded(Date.now(), { status, finished: lifetime.finished, exited: true });
    if (status !== 0 && !lifetime.finished && this.options.errRespawnInterval > 0) {
      warn(
        `child ${child.pid} exited with status ${status} without calling finish(); ` +
          `next spawn in ${this.policy.pauseLeft(Date.now())} ms (errRespawnInterval, ×1.5 per crash in a row until a child is ready)`,
      );
    }
    if (status !== 0 && !lifetime.finished && !reloadStep) {
      this.#crashed({ pid: child.pid, reason: info.reason, status, ...(info.error ? { error: info.error } : {}) });
    }
    const withoutFinish = reapInfo(lifetime, end, child.notReady).reason === 'exited';
    this.#earlyExits.ended(child.pid, withoutFinish, status, Date.now() - lifetime.startedAt);
  }

  /** A reused child's lifetime ended with finish(): no failure, but the early-exit warning counts it. */
  finished(child: ChildHandle, lifetime: Lifetime): void {
    this.#earlyExits.ended(child.pid, false, lifetime.code, Date.now() - lifetime.startedAt);
  }

  /** readyTimeout passed and child `pid` is still starting: it is stopped as a failed start ('not-ready'). */
  #notReady(pid: number): void {
    const { host, pool } = this;
    const child = pool.children.get(pid);
    if (!child || child.phase !== 'starting') return;
    child.notReady = true;
    warn(`child ${pid} was not ready within ${this.options.readyTimeout} ms (readyTimeout); stopping it`);
    const failedStep = pool.running && child.generation === pool.generation && this.policy.reloading;
    host.stopChild(child, !failedStep);
    if (failedStep) {
      child.slotReleased = true;
      this.#reloadStepFailed(child, { reason: 'not-ready', exitCode: null, signal: null, lifetime: child.lifetimesBegun, ...(child.currentLifetime?.error ? { error: child.currentLifetime.error } : {}) });
      host.fill();
    } else if (pool.running && child.generation === pool.generation) {
      this.policy.startFailed(Date.now());
      this.#crashed({ pid, reason: 'not-ready' });
    }
  }

  /** A child of the running generation failed outside a reload: one more towards maxRestarts; start() rejects past it. */
  #crashed(crash: Crash): void {
    const error = this.#giveUp.crashed(Date.now(), crash);
    if (!error) return;
    warn(error.message);
    // The pool ends with start(): its children are told to stop, so a process that exits on the rejection leaves none.
    for (const child of this.pool.children.values()) this.host.stopChild(child, false);
    this.host.fail(error);
  }

  /**
   * A new child of a gated reload never came up: a failed step. After reloadAttempts of them
   * the reload is abandoned: the new children still starting are stopped, the old ones are
   * never told, onReloadFailed hears why, and the reload event says 'failed'.
   */
  #reloadStepFailed(child: ChildHandle, info: ReapInfo, status?: number): void {
    const { abandoned, attempts } = this.policy.reloadStepFailed();
    if (!abandoned) return;
    const { generation } = this.pool;
    for (const other of this.pool.children.values()) {
      if (other !== child && other.generation === generation && other.phase === 'starting') this.host.stopChild(other, true);
    }
    const why = info.reason === 'not-ready' ? `was not ready within ${this.options.readyTimeout} ms` : info.error ? `crashed: ${info.error.name}: ${info.error.message}` : `ended (${info.reason}, status ${status})`;
    const message =
      `reload to generation ${generation} abandoned after ${attempts} failed attempts: child ${child.pid} ${why}; ` +
      `the children of the older generation keep serving`;
    warn(message);
    this.reloads.failed(message);
    const failure: ReloadFailedInfo = { generation, attempts, pid: child.pid, reason: info.reason, message };
    if (status !== undefined) failure.status = status;
    if (info.error) failure.error = info.error;
    this.hooks.onReloadFailed(failure);
  }
}
