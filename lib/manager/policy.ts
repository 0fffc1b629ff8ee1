import { DEFAULTS, type ResolvedOptions } from '../options';
import type { SignalName } from '../signals';
import * as pacing from './pacing';
import { ReloadPlan } from './reload-plan';
import { Recycler } from './recycling';
import { Retirement, type RetireReason } from './retirement';

/**
 * The pool-sizing policy: the one place that answers "spawn, retire whom, or
 * wait (until when)", as Perl's Parallel::Prefork `_decide_action` does. It
 * looks at a snapshot of the pool (`PoolState`) and returns an action; the
 * manager (manager.ts) is the one place that executes actions (spawn, tell,
 * retire), and tells the policy what happened (`spawned`, `spawnFailed`,
 * `lifetimeEnded`) so it can pace.
 *
 * What it owns today, unchanged from before it was one object:
 * - keep `maxWorkers` children that count (`decide`): a child told to stop by
 *   a rolling forward, a shrink or a retirement no longer counts, so its
 *   replacement starts while it drains;
 * - spawn pacing and crash pacing (pacing.ts, pure functions);
 * - shrink oldest first (`shrink`, gunicorn's TTOU);
 * - whether a reused child gets another lifetime (`afterLifetime`, with
 *   retirement.ts's per-process limits and its jitter).
 * The staggered forward (stagger.ts) stays beside the pool: it decides whom
 * to signal when, not how many.
 *
 * - gated reloads (reload-plan.ts): from the start() after a reload signal, the
 *   plan answers first: spawn new children beside the old ones (up to a surge),
 *   and `reload-step` (tell old children the reload's signal) as new ones are
 *   'ready'; `reloadStepFailed` counts new children that never came up.
 *
 * How the next policies plug in, without new branches in manager.ts:
 * - replacement-first recycling: `ChildState.phase` says 'starting' / 'ready' /
 *   'stopping'; a policy may answer `{ kind: 'spawn' }` while a child that will
 *   be replaced still counts (up to a surge limit), then `{ kind: 'retire', … }`
 *   once the replacement is 'ready'.
 * - spare workers: `ChildState.idleSince` (from the children's busy/idle status)
 *   feeds a policy that answers `{ kind: 'spawn', count }` with a doubling ramp,
 *   or `{ kind: 'retire', pids, reason: 'idle' }` above the maximum of idle ones.
 * - crash-loop backoff: another pacing function of `PacingState`.
 * The manager executes every kind wherever it asks `decide`, so a policy that
 * answers with a new combination needs no change there. An input that changes
 * outside today's triggers (a child's readiness or busy/idle status) only has
 * to ask again: the manager's loop (`#fill`) is that one call.
 * Cost: a snapshot is one small object per child, built per question (after a
 * spawn, an exit, a lifetime's end); nothing is asked on a timer but `wait`'s.
 */

/** Where a child is in its life, as far as sizing cares. */
export type ChildPhase = 'starting' | 'ready' | 'stopping';

/** One child in the snapshot. */
export interface ChildState {
  readonly pid: number;
  readonly generation: number;
  /**
   * 'stopping' once told to stop (a signal, a shrink, a retirement). Today the
   * manager has no readiness message, so a live child is 'ready' from its
   * spawn; readiness-gated reloads will report 'starting' until it is.
   */
  readonly phase: ChildPhase;
  /** It counts towards maxWorkers (its slot was not released). */
  readonly counted: boolean;
  /** A reused child between two lifetimes (its finish() acknowledged, nothing handed yet). */
  readonly betweenLifetimes: boolean;
  /** Lifetimes ended with finish(), and how many it may serve. */
  readonly served: number;
  readonly limit: number;
  /** Since when the child has been idle, by its busy/idle status; undefined when busy or unknown (today: always). */
  readonly idleSince?: number;
  /** Its slot, 0 … maxWorkers − 1 (docs/servers.md, "Slots"). */
  readonly slot?: number;
}

/** What the policy looks at. Children are in spawn order (oldest first). */
export interface PoolState {
  readonly now: number;
  /** start() is running: spawning is allowed. */
  readonly running: boolean;
  readonly generation: number;
  readonly maxWorkers: number;
  readonly children: readonly ChildState[];
}

/** The policy's answer. */
export type SizingAction =
  /** Spawn `count` children now (the manager spawns one and asks again: pacing may say wait); `slot`: the first one's. */
  | { readonly kind: 'spawn'; readonly count: number; readonly slot?: number }
  /** Nothing before `until` (ms since the epoch): the manager sets one timer and asks again then. */
  | { readonly kind: 'wait'; readonly until: number }
  /** Tell these children to stop (a shrink: the stop signal; a reused child between lifetimes: `retire`). */
  | { readonly kind: 'retire'; readonly pids: readonly number[]; readonly reason: RetireReason }
  /** A gated reload's step (reload-plan.ts): tell these old children `signal`; their replacements are ready. */
  | { readonly kind: 'reload-step'; readonly pids: readonly number[]; readonly signal: SignalName }
  /** The pool is as it should be: ask again when something happens. */
  | { readonly kind: 'steady' };

/** Children that count towards maxWorkers. */
export function countedChildren(pool: PoolState): number {
  let counted = 0;
  for (const child of pool.children) if (child.counted) counted++;
  return counted;
}

export class SizingPolicy {
  #pacing: pacing.PacingState = pacing.INITIAL_PACING;
  readonly #config: pacing.PacingConfig;
  readonly #retirement: Retirement;
  readonly #planConfig: { surge: number; reloadAttempts: number };
  /** The gated reload in progress (reload-plan.ts), from the next start() after its signal. */
  #reload: ReloadPlan | undefined;
  /** Replacement-first recycling by age, memory and requests (recycling.ts), consulted once the pool is full. */
  readonly recycler: Recycler;

  /** `wake`: asks the manager's loop to decide again (an input arrived between the manager's own events). */
  constructor(
    options: Pick<ResolvedOptions, 'spawnInterval' | 'errRespawnInterval' | 'lifetimesPerChild' | 'lifetimesJitter' | 'maxChildMemory' | 'maxChildAge' | 'ageJitter'> &
      Partial<Pick<ResolvedOptions, 'surge' | 'reloadAttempts'>>,
    wake: () => void = () => {},
  ) {
    this.#config = { spawnInterval: options.spawnInterval, errRespawnInterval: options.errRespawnInterval };
    this.#retirement = new Retirement(options);
    this.#planConfig = { surge: options.surge ?? DEFAULTS.surge, reloadAttempts: options.reloadAttempts ?? DEFAULTS.reloadAttempts };
    this.recycler = new Recycler(options, wake);
  }

  /** A gated reload is in progress. */
  get reloading(): boolean {
    return this.#reload !== undefined;
  }

  /**
   * A gated reload begins with the start() after its signal: the old children keep serving
   * and are told `signal` only as new ones are ready (`intervalMs` > 0: one per step, rolling).
   */
  reloadBegun(signal: SignalName, intervalMs: number): void {
    this.#reload = new ReloadPlan(signal, intervalMs, this.#planConfig);
  }

  /** A new child of a gated reload failed (died before ready, or missed readyTimeout): true when the reload is abandoned. */
  reloadStepFailed(): { abandoned: boolean; attempts: number } {
    const plan = this.#reload;
    if (!plan) return { abandoned: false, attempts: 0 };
    const abandoned = plan.failed();
    if (abandoned) this.#reload = undefined;
    return { abandoned, attempts: plan.failures };
  }

  /** A gated reload's next action, or undefined when none is in progress (policies that override decide() ask this first). */
  protected reloadStep(pool: PoolState): SizingAction | undefined {
    if (!this.#reload) return undefined;
    const step = this.#reload.decide(pool, pacing.spawnDelay(this.#pacing, pool.now));
    if (step) return step;
    this.#reload = undefined; // no old child counts any more: the reload is over
    return undefined;
  }

  /** The reload ends without its steps (a stop signal, start() rejected). */
  reloadEnded(): void {
    this.#reload = undefined;
  }

  /** The pacing state, read-only (tests, status). */
  get pacing(): pacing.PacingState {
    return this.#pacing;
  }

  /** The main question, asked after anything that may change the pool's size: spawn, wait, or nothing. */
  decide(pool: PoolState): SizingAction {
    if (!pool.running) {
      this.recycler.decide(pool); // forgets the recycles in progress: the stop tells every child
      return { kind: 'steady' };
    }
    const step = this.reloadStep(pool);
    if (step) return step;
    const missing = pool.maxWorkers - countedChildren(pool);
    // Full: a recycle may want its surge child, the old child's stop, or a wait for the next age.
    const recycle = missing <= 0 ? this.recycler.decide(pool) : undefined;
    if (missing <= 0 && recycle?.kind !== 'spawn') return recycle ?? { kind: 'steady' };
    const delay = pacing.spawnDelay(this.#pacing, pool.now);
    if (delay > 0) return { kind: 'wait', until: pool.now + delay };
    // A recycle's surge child takes the slot of the child it replaces.
    if (recycle?.kind === 'spawn') return recycle;
    // One at a time when paced: the manager asks again after each spawn.
    return { kind: 'spawn', count: pacing.spawnGap(this.#pacing, this.#config) > 0 ? 1 : missing };
  }

  /** A child process was spawned (its age starts). */
  childSpawned(pid: number, now: number): void {
    this.recycler.spawned(pid, now);
  }

  /** A child process is gone. */
  childGone(pid: number): void {
    this.recycler.ended(pid);
  }

  /**
   * maxWorkers was lowered (or a `removeWorker` signal): the counted children
   * over it, oldest first. The manager tells them to stop with TERM's mapping.
   */
  shrink(pool: PoolState): SizingAction {
    let surplus = countedChildren(pool) - pool.maxWorkers;
    const pids: number[] = [];
    for (const child of pool.children) {
      if (surplus <= 0) break;
      if (!child.counted) continue;
      pids.push(child.pid);
      surplus--;
    }
    return pids.length > 0 ? { kind: 'retire', pids, reason: 'maxWorkers' } : { kind: 'steady' };
  }

  /**
   * A reused child finished a lifetime: retire it (with why), or undefined to
   * hand it the next one. `child` is in `pool` (it still counts).
   */
  afterLifetime(pool: PoolState, child: ChildState, rss: number | undefined): RetireReason | undefined {
    return this.#retirement.decide({
      served: child.served,
      limit: child.limit,
      current: pool.running && child.generation === pool.generation,
      stopping: child.phase === 'stopping' || !child.counted,
      alive: countedChildren(pool),
      // A recycle's replacement is beyond maxWorkers on purpose: no other child makes room for it.
      maxWorkers: pool.maxWorkers + this.recycler.surge,
      rss,
    });
  }

  /**
   * The slot for the next spawn (docs/servers.md, "Slots"): `hint` when the action names one (a
   * reload's newcomer takes the slot of the old child it replaces), else the lowest of
   * 0 … maxWorkers − 1 no counted child holds, so a respawn takes the slot its predecessor gave up.
   */
  slotFor(pool: PoolState, hint?: number): number {
    if (hint !== undefined) return hint;
    const held = new Set<number | undefined>();
    for (const child of pool.children) if (child.counted) held.add(child.slot);
    for (let slot = 0; slot < pool.maxWorkers; slot++) if (!held.has(slot)) return slot;
    return pool.maxWorkers; // all held (a surge beyond maxWorkers with no hint): the next number up
  }

  /** Lifetimes the next process may serve (lifetimesPerChild plus jitter). */
  limitForNewChild(): number {
    return this.#retirement.limitForNewChild();
  }

  spawned(now: number): void {
    this.#pacing = pacing.spawned(this.#pacing, this.#config, now);
  }

  /** spawn() failed: the pause before the next try (the manager waits that long). */
  spawnFailed(now: number): number {
    const { state, pause } = pacing.spawnFailed(this.#pacing, this.#config, now);
    this.#pacing = state;
    return pause;
  }

  /** See pacing.lifetimeEnded: only for the running generation's children the manager did not tell to stop. */
  lifetimeEnded(now: number, end: { status: number; finished: boolean; exited: boolean }): void {
    this.#pacing = pacing.lifetimeEnded(this.#pacing, this.#config, now, end);
  }

  /** A child is ready: the crash backoff starts again from its first step. */
  childReady(): void {
    this.#pacing = pacing.childReady(this.#pacing);
  }

  /** A child missed readyTimeout: paced as a crash. */
  startFailed(now: number): void {
    this.#pacing = pacing.startFailed(this.#pacing, this.#config, now);
  }

  /** ms until the next spawn is allowed (the crash backoff's pause, for the warning). */
  pauseLeft(now: number): number {
    return pacing.spawnDelay(this.#pacing, now);
  }

  generationBegun(): void {
    this.#pacing = pacing.generationBegun(this.#pacing, this.#config);
  }
}
