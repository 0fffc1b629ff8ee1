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
 *    its slot: the replacement holds it); a child due by requests is not told,
 *    it leaves by itself at its limit;
 * then the next due child. By age or memory, one recycle at a time
 * (`MAX_RECYCLING`) and none while any other child is still starting, so a
 * pool whose children all come due together is renewed one child at a time
 * and never has fewer than maxWorkers ready children. A child due by requests
 * gets its replacement at once, whatever else is in progress, and is never
 * told to stop: it stops by itself at exactly its limit (Starlet's contract),
 * so the manager's part is only to have its successor ready by then.
 *
 * Nothing polls. Ages: the policy answers `wait` until the earliest deadline
 * and the manager sets its one timer. Memory and requests arrive as events
 * (the RSS in each child's periodic beat, on the `beat` channel of events.ts;
 * a child's `replace` message) and `wake` the manager's loop.
 */
import { DEFAULTS } from '../options';
import { subscribe } from './events';
/** Why a child is recycled (the `retire` event's and message's `reason`). */
export type RecycleReason = 'age' | 'memory' | 'requests';

/** Recycles by age or memory at once (the manager's own choice to stop a child): one. */
export const MAX_RECYCLING = 1;

/** Where a child is in its life (the policy's `ChildPhase`). */
type Phase = 'starting' | 'ready' | 'stopping';

/** What the recycler reads of the pool: a subset of the policy's `PoolState`. */
export interface RecyclePool {
  readonly now: number;
  readonly running: boolean;
  readonly generation: number;
  readonly maxWorkers: number;
  readonly children: ReadonlyArray<{ readonly pid: number; readonly generation: number; readonly phase: Phase; readonly counted: boolean; readonly slot?: number }>;
}

/** The recycler's answer: a subset of the policy's `SizingAction`. */
export type RecycleAction =
  /** `slot`: the replaced child's (docs/servers.md, "Slots"): the newcomer shares it until the old child leaves. */
  | { readonly kind: 'spawn'; readonly count: 1; readonly slot?: number }
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
  /** Recycles in progress, oldest first: the child being replaced, and why. */
  readonly #replacing = new Map<number, RecycleReason>();
  /** This pool's children (the `beat` channel carries every pool's in this process). */
  readonly #ours = new Set<number>();

  constructor(
    private readonly options: RecyclingOptions,
    /** Asks the manager's loop to consult the policy again (a child came due between its own events). */
    private readonly wake: () => void,
    private readonly random: () => number = Math.random,
  ) {
    // Memory: every child's periodic beat carries its RSS (the status issue's beat, beatInterval).
    // Subscribed only with a limit: a beat is published only when someone listens.
    if (options.maxChildMemory !== undefined) {
      subscribe('beat', ({ pid, beat }) => {
        if (this.#ours.has(pid) && typeof beat.rss === 'number') this.memory(pid, beat.rss);
      });
    }
  }

  /** Children beyond maxWorkers the recycler may hold right now (for the policy's other counts). */
  get surge(): number {
    return this.#replacing.size;
  }

  /** The children being replaced, oldest first (tests, status). */
  get replacing(): number[] {
    return [...this.#replacing.keys()];
  }

  /** A child was spawned at `now`: its age deadline starts. */
  spawned(pid: number, now: number): void {
    this.#ours.add(pid);
    const { maxChildAge, ageJitter = DEFAULTS.ageJitter } = this.options;
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
    if (this.#replacing.has(pid)) return;
    const already = this.#due.get(pid);
    // Requests outrank the rest: that child will stop by itself, so it must not wait its turn.
    if (already !== undefined && (already === reason || reason !== 'requests')) return;
    this.#due.set(pid, reason);
    this.#deadlines.delete(pid);
    this.wake();
  }

  /** A child process is gone. */
  ended(pid: number): void {
    this.#ours.delete(pid);
    this.#deadlines.delete(pid);
    this.#due.delete(pid);
    this.#replacing.delete(pid);
  }

  /** Consulted by the policy when the pool has its maxWorkers: start, go on with, or finish a recycle; or wait for an age. */
  decide(pool: RecyclePool): RecycleAction | undefined {
    if (!pool.running) {
      this.#replacing.clear(); // a stop or a reload: the children are told to stop anyway
      return undefined;
    }
    if (this.#deadlines.size === 0 && this.#due.size === 0 && this.#replacing.size === 0) return undefined;
    const byPid = new Map(pool.children.map((child) => [child.pid, child]));
    const replaceable = (pid: number): boolean => {
      const child = byPid.get(pid);
      // Gone, stopping, or of an older generation (a reload replaces it anyway): not ours to replace.
      return child !== undefined && child.counted && child.phase !== 'stopping' && child.generation === pool.generation;
    };
    for (const pid of this.#replacing.keys()) if (!replaceable(pid)) this.#replacing.delete(pid);
    this.#ageCheck(pool.now, byPid);

    let counted = 0;
    let starting = 0;
    let ready = 0;
    for (const child of pool.children) {
      if (!child.counted) continue;
      counted++;
      if (child.phase === 'starting') starting++;
      // A child near its request limit is about to leave by itself: it is not counted on.
      else if (child.phase === 'ready' && this.#replacing.get(child.pid) !== 'requests') ready++;
    }
    this.#start(replaceable, counted, starting, pool.maxWorkers);
    if (this.#replacing.size === 0) return this.#nextAge();

    // An old child (by age or memory) goes once maxWorkers others are ready; the oldest first.
    // One by requests is never told: it stops by itself at exactly its limit (Starlet's contract).
    for (const [old, reason] of this.#replacing) {
      if (reason === 'requests' || ready <= pool.maxWorkers) continue;
      this.#replacing.delete(old);
      return { kind: 'retire', pids: [old], reason };
    }
    // A replacement per child being replaced: at first, and again after one died before it was ready.
    if (counted < pool.maxWorkers + this.#replacing.size) {
      const slot = this.#slotToTake(pool, byPid);
      return slot === undefined ? { kind: 'spawn', count: 1 } : { kind: 'spawn', count: 1, slot };
    }
    return undefined; // replacements are starting: asked again when one is ready (or gone)
  }

  /**
   * Due children become recycles in progress. By age or memory one at a time, and not while
   * any child is starting or the pool is short (the manager chooses when they go: it never
   * takes two at once). By requests at once: that child stops at its limit whatever the
   * manager does, so holding its replacement back would only open a gap.
   */
  #start(replaceable: (pid: number) => boolean, counted: number, starting: number, maxWorkers: number): void {
    let chosen = 0;
    for (const reason of this.#replacing.values()) if (reason !== 'requests') chosen++;
    for (const [pid, reason] of this.#due) {
      if (!replaceable(pid)) {
        this.#due.delete(pid);
        continue;
      }
      if (reason !== 'requests') {
        if (chosen >= MAX_RECYCLING || starting > 0 || counted < maxWorkers) continue;
        chosen++;
      }
      this.#due.delete(pid);
      this.#replacing.set(pid, reason);
    }
  }

  /**
   * The slot a replacement takes: that of a child being replaced that no other counted child
   * holds yet (its replacement would). Slots stay within 0 … maxWorkers − 1 through a surge.
   */
  #slotToTake(pool: RecyclePool, byPid: ReadonlyMap<number, RecyclePool['children'][number]>): number | undefined {
    const holders = new Map<number, number>();
    for (const child of pool.children) if (child.counted && child.slot !== undefined) holders.set(child.slot, (holders.get(child.slot) ?? 0) + 1);
    for (const pid of this.#replacing.keys()) {
      const slot = byPid.get(pid)?.slot;
      if (slot !== undefined && holders.get(slot) === 1) return slot;
    }
    return undefined;
  }

  /** Nothing to do now: a wait until the next age deadline, if any (none while a due child waits its turn). */
  #nextAge(): RecycleAction | undefined {
    if (this.#due.size > 0) return undefined;
    let earliest = Infinity;
    for (const at of this.#deadlines.values()) earliest = Math.min(earliest, at);
    return earliest === Infinity ? undefined : { kind: 'wait', until: earliest };
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
