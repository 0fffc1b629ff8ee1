/**
 * Spare workers (Perl's Parallel::Prefork::SpareWorkers, Apache prefork's
 * MinSpareServers / MaxSpareServers) as a sizing policy: the pool is sized by
 * its idle children instead of being kept at `maxWorkers`.
 *
 * - Fewer than `minSpareWorkers` idle, and fewer than `maxWorkers` alive:
 *   spawn, with Apache's doubling ramp: 1 child in the first check with a
 *   shortage, 2 in the next, 4, … capped at MAX_RAMP (each check spawns its
 *   whole allowance, as Apache does), back to 1 after a check with no
 *   shortage. `spawnInterval` and the crash pacing still apply.
 * - More than `maxSpareWorkers` idle, and more than `minWorkers` alive: retire
 *   the child idle the longest (Perl retires any idle one), one per check,
 *   through the usual retirement path (the stop signal and `gracePeriod`; a
 *   reused child is retired at the end of its lifetime, never in the middle).
 *   A busy child is never retired.
 * - Fewer than `minWorkers` alive: spawn up to it.
 *
 * A starting child counts as idle (as Apache counts SERVER_STARTING): it will
 * be in a moment, and counting it busy would spawn again for the same
 * shortage. A check is one call of `decide`, made by the manager after an
 * event (a status change, a spawn, a reap, the timer this policy asked for);
 * checks that act are at least SPARE_CHECK_MS apart, so the ramp doubles per
 * check, not per event. When idle children are within bounds the answer is
 * `steady` and no timer is set: an idle pool costs nothing.
 */
import type { ResolvedOptions, SpareSettings } from '../options';
import { observed, publish } from './events';
import * as pacing from './pacing';
import { SizingPolicy, type ChildState, type PoolState, type SizingAction } from './policy';

/**
 * Least time between two checks that act. Apache checks once a second for
 * processes that fork in microseconds; a Node child takes 60–100 ms to start
 * (docs/benchmarks.md), so one check per 100 ms lets each batch come up
 * before the next doubles it.
 */
export const SPARE_CHECK_MS = 100;

/** A child idle for less than this is not retired (see #retire). */
export const MIN_IDLE_MS = 2 * SPARE_CHECK_MS;

/** Most spawns in one check (Apache's MAX_SPAWN_RATE). */
export const MAX_RAMP = 32;

/** What one check did, for the `sizing` event and the tests' timelines. */
export interface SpareCheck {
  action: 'spawn' | 'retire';
  /** Spawns allowed in this check (the ramp), or 1 for a retirement. */
  count: number;
  idle: number;
  busy: number;
  alive: number;
}

/** Children that count towards the pool: not told to stop. */
function live(pool: PoolState): ChildState[] {
  return pool.children.filter((child) => child.counted && child.phase !== 'stopping');
}

/** Idle (or starting) by its status. */
function isIdle(child: ChildState): boolean {
  return child.phase === 'starting' || child.idleSince !== undefined;
}

export class SpareWorkersPolicy extends SizingPolicy {
  readonly #spare: SpareSettings;
  #ramp = 1;
  /** Spawns left in the current check. */
  #budget = 0;
  /** No new check acts before this. */
  #nextCheckAt = 0;
  constructor(
    options: ConstructorParameters<typeof SizingPolicy>[0],
    spare: SpareSettings,
    /** The manager's id on the event channel: each check that acts is published as `sizing`. */
    private readonly managerId = 0,
    wake: () => void = () => {},
  ) {
    super(options, wake);
    this.#spare = spare;
  }

  /** Each check that acts: the `sizing` event (free without a subscriber), and the tests' timelines. */
  #checked(check: SpareCheck, now: number): void {
    if (observed('sizing')) publish('sizing', { ...check, manager: this.managerId, at: now });
  }

  override decide(pool: PoolState): SizingAction {
    if (!pool.running) {
      this.recycler.decide(pool); // forgets the recycles in progress
      return { kind: 'steady' };
    }
    // A gated reload sizes the pool itself until it is over (reload-plan.ts).
    const step = this.reloadStep(pool);
    if (step) return step;
    const children = live(pool);
    const alive = children.length;
    let idle = 0;
    for (const child of children) if (isIdle(child)) idle++;
    const ceiling = pool.maxWorkers;
    const { minSpareWorkers, minWorkers } = this.#spare;
    const short = (idle < minSpareWorkers && alive < ceiling) || alive < Math.min(minWorkers, ceiling);
    if (short) return this.#spawn(pool, { idle, busy: alive - idle, alive });
    // The rest of this check's allowance, as Apache spawns its whole idle_spawn_rate: the children
    // just spawned count as idle already, but a burst needs them all.
    if (this.#budget > 0 && pool.now < this.#nextCheckAt && alive < ceiling) return this.#spendBudget();
    // Not short when the check's time comes round again: the ramp starts from 1 next time.
    if (pool.now < this.#nextCheckAt && this.#budget === 0 && this.#ramp > 1) return this.#surplus(pool, children, idle, alive);
    this.#ramp = 1;
    this.#budget = 0;
    return this.#surplus(pool, children, idle, alive);
  }

  #surplus(pool: PoolState, children: ChildState[], idle: number, alive: number): SizingAction {
    const { maxSpareWorkers, minWorkers } = this.#spare;
    if (idle > maxSpareWorkers && alive > minWorkers) return this.#retire(pool, children, { idle, busy: alive - idle, alive });
    // Sized right: recycling by age, memory or requests may replace a child (its surge child first).
    return this.recycler.decide(pool) ?? { kind: 'steady' };
  }

  #spawn(pool: PoolState, counts: Omit<SpareCheck, 'action' | 'count'>): SizingAction {
    const delay = pacing.spawnDelay(this.pacing, pool.now);
    if (delay > 0) return { kind: 'wait', until: pool.now + delay };
    if (this.#budget === 0) {
      if (pool.now < this.#nextCheckAt) return { kind: 'wait', until: this.#nextCheckAt };
      // A new check: this many spawns now (never past the ceiling), twice as many in the next one if still short.
      this.#budget = Math.min(this.#ramp, pool.maxWorkers - counts.alive);
      this.#checked({ action: 'spawn', count: this.#budget, ...counts }, pool.now);
      this.#ramp = Math.min(this.#ramp * 2, MAX_RAMP);
      this.#nextCheckAt = pool.now + SPARE_CHECK_MS;
    }
    return this.#spendBudget();
  }

  /** One spawn of the check's allowance (the manager spawns one and asks again). */
  #spendBudget(): SizingAction {
    this.#budget--;
    return { kind: 'spawn', count: 1 };
  }

  #retire(pool: PoolState, children: ChildState[], counts: Omit<SpareCheck, 'action' | 'count'>): SizingAction {
    if (pool.now < this.#nextCheckAt) return { kind: 'wait', until: this.#nextCheckAt };
    // The child idle the longest; never a starting one (no status yet), never a busy one, and never one
    // idle for less than MIN_IDLE_MS: its report of going busy again may be on its way (status.ts sends
    // at most one per 100 ms).
    let oldest: ChildState | undefined;
    for (const child of children) {
      if (child.phase === 'starting' || child.idleSince === undefined || pool.now - child.idleSince < MIN_IDLE_MS) continue;
      if (!oldest || child.idleSince < oldest.idleSince!) oldest = child;
    }
    // Idle ones too fresh to retire: look again when the oldest of them is old enough.
    if (!oldest) return { kind: 'wait', until: pool.now + MIN_IDLE_MS };
    this.#nextCheckAt = pool.now + SPARE_CHECK_MS;
    this.#checked({ action: 'retire', count: 1, ...counts }, pool.now);
    return { kind: 'retire', pids: [oldest.pid], reason: 'idle' };
  }
}

/** The pool's policy from the options: spare workers when asked for, else keep maxWorkers. */
export function sizingPolicyFor(options: ResolvedOptions, managerId: number, wake: () => void = () => {}): SizingPolicy {
  return options.spare ? new SpareWorkersPolicy(options, options.spare, managerId, wake) : new SizingPolicy(options, wake);
}
