/**
 * Replacement-first recycling of long-lived children, consulted by the sizing
 * policy (policy.ts): by age (`maxChildAge`, `ageJitter`), by memory
 * (`maxChildMemory`, from the RSS in a child's periodic report), and by request
 * count (a `serve({ maxRequests })` child saying it is near its limit).
 *
 * The rule (docs/servers.md, "Recycling without a gap"): a child that is due is
 * not told to stop until the pool has maxWorkers ready children besides it. So
 * the recycler answers, in turn:
 * 1. `spawn` one child beyond maxWorkers (the surge: the due child still counts);
 * 2. nothing while that child starts (the manager asks again when one becomes
 *    ready, or exits: a replacement that dies before it is ready is spawned
 *    again, paced like any crash, and the old child keeps serving meanwhile);
 * 3. `retire` the old child once maxWorkers others are ready (the manager tells
 *    it to stop gracefully, with TERM's mapping and gracePeriod, and releases
 *    its slot: the replacement holds it);
 * then the next due child. One recycle at a time (`MAX_RECYCLING`), and none
 * while any other child is still starting, so a pool whose children all come
 * due together is renewed one child at a time and never has fewer than
 * maxWorkers ready children.
 *
 * Nothing polls. Ages: the policy answers `wait` until the earliest deadline
 * and the manager sets its one timer. Memory and requests arrive as events
 * (the `beat` channel, a child's message) and `wake` the manager's loop.
 */
/** Why a child is recycled (the `retire` event's and message's `reason`). */
export type RecycleReason = 'age' | 'memory' | 'requests';

/** Recycles at once: the surge beyond maxWorkers. */
export const MAX_RECYCLING = 1;

/** Where a child is in its life (the policy's `ChildPhase`). */
type Phase = 'starting' | 'ready' | 'stopping';

/** What the recycler reads of the pool: a subset of the policy's `PoolState`. */
export interface RecyclePool {
  readonly now: number;
  readonly running: boolean;
  readonly generation: number;
  readonly maxWorkers: number;
  readonly children: ReadonlyArray<{ readonly pid: number; readonly generation: number; readonly phase: Phase; readonly counted: boolean }>;
}

/** The recycler's answer: a subset of the policy's `SizingAction`. */
export type RecycleAction =
  | { readonly kind: 'spawn'; readonly count: 1 }
  | { readonly kind: 'retire'; readonly pids: readonly [number]; readonly reason: RecycleReason }
  | { readonly kind: 'wait'; readonly until: number };

export interface RecyclingOptions {
  /** ms; undefined: no age limit. */
  maxChildAge?: number;
  /** ms: each child's age limit is maxChildAge plus a random whole number of ms from 0 to this. */
  ageJitter?: number;
  /** Bytes; undefined: no memory limit (from reports; a reused child's finish() is retirement.ts's). */
  maxChildMemory?: number;
}

export class Recycler {
  /** pid → when it comes due by age. */
  readonly #deadlines = new Map<number, number>();
  /** Children due, in the order they came due, with why. */
  readonly #due = new Map<number, RecycleReason>();
  /** The recycle in progress: the child being replaced. */
  #current: { old: number; reason: RecycleReason } | undefined;

  constructor(
    private readonly options: RecyclingOptions,
    /** Asks the manager's loop to consult the policy again (a child came due between its own events). */
    private readonly wake: () => void,
    private readonly random: () => number = Math.random,
  ) {}

  /** Does any option ask for recycling? The policy makes no recycler otherwise. */
  static wanted(options: RecyclingOptions): boolean {
    return options.maxChildAge !== undefined || options.maxChildMemory !== undefined;
  }

  /** Children beyond maxWorkers the recycler may hold right now (for the policy's other counts). */
  get surge(): number {
    return this.#current ? MAX_RECYCLING : 0;
  }

  /** The child being replaced, if any (tests, status). */
  get replacing(): number | undefined {
    return this.#current?.old;
  }

  /** A child was spawned at `now`: its age deadline starts. */
  spawned(pid: number, now: number): void {
    const { maxChildAge, ageJitter = 0 } = this.options;
    if (maxChildAge === undefined) return;
    const jitter = ageJitter > 0 ? Math.floor(this.random() * (ageJitter + 1)) : 0;
    this.#deadlines.set(pid, now + maxChildAge + jitter);
  }

  /** A child reported its RSS. Over maxChildMemory: it comes due. */
  memory(pid: number, rss: number): void {
    const { maxChildMemory } = this.options;
    if (maxChildMemory !== undefined && rss > maxChildMemory) this.due(pid, 'memory');
  }

  /** `pid` should be recycled (a report over a limit, or a serve() child near its maxRequests). */
  due(pid: number, reason: RecycleReason): void {
    if (this.#due.has(pid) || this.#current?.old === pid) return;
    this.#due.set(pid, reason);
    this.#deadlines.delete(pid);
    this.wake();
  }

  /** A child process is gone. */
  ended(pid: number): void {
    this.#deadlines.delete(pid);
    this.#due.delete(pid);
  }

  /** Consulted by the policy when the pool has its maxWorkers: start, go on with, or finish a recycle; or wait for an age. */
  decide(pool: RecyclePool): RecycleAction | undefined {
    if (!pool.running) {
      this.#current = undefined; // a stop or a reload: the children are told to stop anyway
      return undefined;
    }
    const byPid = new Map(pool.children.map((child) => [child.pid, child]));
    let counted = 0;
    let starting = 0;
    for (const child of pool.children) {
      if (!child.counted) continue;
      counted++;
      if (child.phase === 'starting') starting++;
    }

    const current = this.#current;
    if (current) {
      const old = byPid.get(current.old);
      if (!old || !old.counted || old.phase === 'stopping') {
        this.#current = undefined; // it died or was told to stop meanwhile: whoever was starting takes its place
      } else {
        let readyOthers = 0;
        for (const child of pool.children) if (child.counted && child.phase === 'ready' && child.pid !== old.pid) readyOthers++;
        if (readyOthers >= pool.maxWorkers) {
          this.#current = undefined;
          return { kind: 'retire', pids: [old.pid], reason: current.reason };
        }
        // The replacement: at first, and again after one died before it was ready.
        if (counted <= pool.maxWorkers) return { kind: 'spawn', count: 1 };
        return undefined; // it is starting: asked again when it is ready
      }
    }

    this.#ageCheck(pool.now, byPid);
    // The base fill comes first, and one thing starts at a time.
    if (counted >= pool.maxWorkers && starting === 0) {
      for (const [pid, reason] of this.#due) {
        const child = byPid.get(pid);
        // Gone, stopping, or of an older generation (a reload replaces it anyway): forgotten.
        if (!child || !child.counted || child.phase === 'stopping' || child.generation !== pool.generation) {
          this.#due.delete(pid);
          continue;
        }
        this.#due.delete(pid);
        this.#current = { old: pid, reason };
        return counted <= pool.maxWorkers ? { kind: 'spawn', count: 1 } : this.decide(pool);
      }
    }

    let earliest = Infinity;
    for (const at of this.#deadlines.values()) earliest = Math.min(earliest, at);
    return earliest === Infinity || this.#due.size > 0 ? undefined : { kind: 'wait', until: earliest };
  }

  /** Children past their age deadline come due. */
  #ageCheck(now: number, alive: ReadonlyMap<number, unknown>): void {
    for (const [pid, at] of this.#deadlines) {
      if (at > now) continue;
      this.#deadlines.delete(pid);
      if (alive.has(pid) && !this.#due.has(pid)) this.#due.set(pid, 'age');
    }
  }
}
