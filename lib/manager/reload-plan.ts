import type { SignalName } from '../signals';

/**
 * A gated reload (docs/servers.md, "Reloads that wait" and "Rollback"), as the
 * sizing policy (policy.ts) runs it: the old generation is stopped only as
 * fast as new children prove they work, and is never stopped when they do not.
 *
 * The old children are those of a generation older than the running start()'s
 * that still count (not told to stop); the new ones are the running
 * generation's. Each time the manager asks (after a spawn, a `ready`, an exit,
 * a timer), the plan answers, in order:
 * 1. stop old children that serve nobody (still starting: a reload superseded
 *    by the next one), then those the ready new ones replace: rolling
 *    (`[signal, interval]`), one at a time, at least `interval` apart, and only
 *    while the ready children left are still ≥ maxWorkers; all at once
 *    (`signal`), every old child as soon as maxWorkers new children are ready
 *    (and, before that, old children beyond maxWorkers, oldest first);
 * 2. spawn a new child, while fewer than maxWorkers new ones exist, fewer than
 *    `surge` of them are starting (all at once: maxWorkers), and the processes
 *    alive (draining ones included) are fewer than maxWorkers + surge;
 * 3. otherwise nothing: the manager asks again on the next ready or exit.
 * A new child that dies before it is ready, or misses readyTimeout, is a failed
 * step (`failed()`): after `reloadAttempts` of them the reload is abandoned
 * (the manager stops the new children still starting; the old ones are never
 * told). Capacity: ready children never fall below maxWorkers because of the
 * reload; processes never exceed maxWorkers + surge.
 */

/** What the plan reads of a child (a subset of policy.ts's ChildState). */
interface PlanChild {
  readonly pid: number;
  readonly generation: number;
  readonly phase: 'starting' | 'ready' | 'stopping';
  readonly counted: boolean;
  readonly slot?: number;
}

/** What the plan reads of the pool (a subset of policy.ts's PoolState). */
interface PlanPool {
  readonly now: number;
  readonly generation: number;
  readonly maxWorkers: number;
  readonly children: readonly PlanChild[];
}

/** The plan's answer; undefined from decide(): no old child is left, the reload is over. */
export type PlanAction =
  | { readonly kind: 'spawn'; readonly count: 1; readonly slot?: number }
  | { readonly kind: 'wait'; readonly until: number }
  | { readonly kind: 'reload-step'; readonly pids: readonly number[]; readonly signal: SignalName }
  | { readonly kind: 'steady' };

export interface PlanConfig {
  /** Rolling: new children starting at once beyond maxWorkers. */
  surge: number;
  /** Failed steps before the reload is abandoned. */
  reloadAttempts: number;
}

export class ReloadPlan {
  /** Failed steps so far. */
  failures = 0;
  #lastStepAt = -Infinity;

  constructor(
    /** The signal the old children are told to stop with (the trapSignals mapping). */
    readonly signal: SignalName,
    /** Rolling: the least time between two steps (0: all at once). */
    readonly intervalMs: number,
    private readonly config: PlanConfig,
  ) {}

  get rolling(): boolean {
    return this.intervalMs > 0;
  }

  /** `spawnDelay`: ms until pacing (crash backoff, spawnInterval) allows a spawn. */
  decide(pool: PlanPool, spawnDelay: number): PlanAction | undefined {
    const old: PlanChild[] = [];
    const fresh: PlanChild[] = [];
    for (const child of pool.children) {
      if (!child.counted) continue;
      if (child.generation < pool.generation) old.push(child);
      else fresh.push(child);
    }
    if (old.length === 0) return undefined;
    const freshReady = fresh.filter((child) => child.phase === 'ready');
    const oldReady = old.filter((child) => child.phase === 'ready').length;

    // 1. Old children not ready (a reload superseded mid-way) serve nobody: stopped at once.
    const oldStarting = old.filter((child) => child.phase !== 'ready');
    if (oldStarting.length > 0) return this.#step(pool.now, oldStarting.map((child) => child.pid), false);
    // Ready children beyond maxWorkers: old ones that may stop without capacity falling below it.
    const spare = oldReady + freshReady.length - pool.maxWorkers;
    if (this.rolling) {
      if (spare > 0) {
        const until = this.#lastStepAt + this.intervalMs;
        if (pool.now < until) return { kind: 'wait', until };
        return this.#step(pool.now, [this.#outgoing(old, freshReady).pid]);
      }
    } else if (freshReady.length >= pool.maxWorkers) {
      return this.#step(pool.now, old.map((child) => child.pid));
    } else if (oldReady > pool.maxWorkers) {
      // More old children than maxWorkers (a reload superseded after some of its children were ready): the oldest go.
      return this.#step(pool.now, old.slice(0, oldReady - pool.maxWorkers).map((child) => child.pid));
    }

    // 2. The next new child.
    const surge = this.rolling ? this.config.surge : pool.maxWorkers;
    const starting = fresh.length - freshReady.length;
    if (fresh.length < pool.maxWorkers && starting < surge && pool.children.length < pool.maxWorkers + surge) {
      if (spawnDelay > 0) return { kind: 'wait', until: pool.now + spawnDelay };
      const slot = this.#slotFor(old, fresh);
      return slot === undefined ? { kind: 'spawn', count: 1 } : { kind: 'spawn', count: 1, slot };
    }
    return { kind: 'steady' };
  }

  /** A new child died before it was ready, or missed readyTimeout: true when the reload is to be abandoned. */
  failed(): boolean {
    this.failures++;
    return this.failures >= this.config.reloadAttempts;
  }

  #step(now: number, pids: number[], paced = true): PlanAction {
    if (paced) this.#lastStepAt = now;
    return { kind: 'reload-step', pids, signal: this.signal };
  }

  /** The old child a rolling step stops: the one whose slot a ready newcomer holds, else the oldest. */
  #outgoing(old: readonly PlanChild[], freshReady: readonly PlanChild[]): PlanChild {
    const slots = new Set(freshReady.map((child) => child.slot));
    return old.find((child) => child.slot !== undefined && slots.has(child.slot)) ?? old[0];
  }

  /** A newcomer's slot: that of an old child no new child has taken yet (docs/servers.md, "Slots"). */
  #slotFor(old: readonly PlanChild[], fresh: readonly PlanChild[]): number | undefined {
    const taken = new Set(fresh.map((child) => child.slot));
    return old.find((child) => child.slot !== undefined && !taken.has(child.slot))?.slot;
  }
}
