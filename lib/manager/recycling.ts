/**
 * Replacement-first recycling of long-lived children: by age (`maxChildAge`,
 * `ageJitter`), by memory (`maxChildMemory`, from the RSS a child reports), and
 * by request count (a `serve({ maxRequests })` child saying it is near its limit).
 *
 * The rule (docs/servers.md, "Recycling"): a child that is due is not told to
 * stop until its replacement is ready. The recycler asks the pool for one extra
 * child (a surge of one beyond maxWorkers), waits for that child's `ready`, and
 * only then tells the old one to stop gracefully, handing the replacement its
 * slot. At most `MAX_RECYCLING` recycles run at once (1), so a pool whose
 * children all come due together is renewed one child at a time and never has
 * fewer than maxWorkers ready children. A replacement that dies before it is
 * ready leaves the old child serving; it is tried again after `retryMs`.
 *
 * Nothing polls: one timer for the earliest age deadline (re-armed, unref'd),
 * and the rest happens on events (a spawn, a ready, a report, an exit).
 */

/** Why a child is recycled (the `retire` event's `reason`, prefixed `recycle:`). */
export type RecycleReason = 'age' | 'memory' | 'requests';

/** At most this many recycles at once: the surge beyond maxWorkers. */
export const MAX_RECYCLING = 1;

/** What the recycler needs to know of one child. */
export interface RecycleChild {
  generation: number;
  ready: boolean;
  /** Told to stop, retired, or given up its slot: not ours to recycle. */
  stopping: boolean;
}

/** What the recycler asks of the pool (the manager implements it). */
export interface RecyclingHost {
  /** start() is running: a stopping pool recycles nothing. */
  readonly running: boolean;
  readonly generation: number;
  child(pid: number): RecycleChild | undefined;
  /** Spawns one child beyond maxWorkers; its pid, or undefined when the spawn failed (or a hook stopped it). */
  spawnReplacement(): number | undefined;
  /** Tells `pid` to stop gracefully; its slot goes to the replacement already running. */
  retireChild(pid: number, reason: RecycleReason): void;
}

export interface RecyclingOptions {
  /** ms; undefined: no age limit. */
  maxChildAge?: number;
  /** ms: each child's age limit is maxChildAge plus a random whole number of ms from 0 to this. */
  ageJitter?: number;
  /** Bytes; undefined: no memory limit. */
  maxChildMemory?: number;
  /** Pause before trying again after a replacement died before it was ready (errRespawnInterval). */
  retryMs: number;
}

interface Clock {
  now(): number;
  random(): number;
  setTimer(fn: () => void, ms: number): { clear(): void };
}

const realClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { clear: () => clearTimeout(timer) };
  },
};

/** The longest a timer waits; a later deadline is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Recycler {
  /** pid → when it comes due by age. */
  readonly #deadlines = new Map<number, number>();
  /** Children due, in the order they came due, with why. */
  readonly #due = new Map<number, RecycleReason>();
  /** Replacement pid → the child it replaces. */
  readonly #replacing = new Map<number, { old: number; reason: RecycleReason }>();
  #ageTimer: { clear(): void; at: number } | undefined;
  #retryTimer: { clear(): void } | undefined;
  #retryAt = 0;

  constructor(
    private readonly host: RecyclingHost,
    private readonly options: RecyclingOptions,
    private readonly clock: Clock = realClock,
  ) {}

  /** Is any kind of recycling on? The manager makes no recycler otherwise. */
  static wanted(options: Omit<RecyclingOptions, 'retryMs'>): boolean {
    return options.maxChildAge !== undefined || options.maxChildMemory !== undefined;
  }

  /** Recycles now running (replacements not yet ready). */
  get inProgress(): number {
    return this.#replacing.size;
  }

  /** Is `pid` a replacement spawned by a recycle, not yet ready? */
  isReplacement(pid: number): boolean {
    return this.#replacing.has(pid);
  }

  /** A child was spawned: its age deadline starts now. */
  spawned(pid: number): void {
    const { maxChildAge, ageJitter = 0 } = this.options;
    if (maxChildAge === undefined) return;
    const jitter = ageJitter > 0 ? Math.floor(this.clock.random() * (ageJitter + 1)) : 0;
    this.#deadlines.set(pid, this.clock.now() + maxChildAge + jitter);
    this.#armAgeTimer();
  }

  /** A child reported its RSS (the periodic beat, or a finish). */
  memory(pid: number, rss: number): void {
    const { maxChildMemory } = this.options;
    if (maxChildMemory === undefined || !(rss > maxChildMemory)) return;
    this.due(pid, 'memory');
  }

  /** `pid` should be recycled (a serve() child near its maxRequests, or a report above). */
  due(pid: number, reason: RecycleReason): void {
    if (this.#due.has(pid) || this.#isOld(pid) || !this.host.child(pid)) return;
    this.#due.set(pid, reason);
    this.#deadlines.delete(pid);
    this.#next();
  }

  /** A child became ready: if it replaces one, that one is told to stop now. */
  ready(pid: number): void {
    const recycle = this.#replacing.get(pid);
    if (recycle) {
      this.#replacing.delete(pid);
      const old = this.host.child(recycle.old);
      if (old && !old.stopping) this.host.retireChild(recycle.old, recycle.reason);
    }
    this.#next();
  }

  /** A child is gone. A replacement gone before it was ready: the old child stays, and is tried again later. */
  ended(pid: number): void {
    this.#deadlines.delete(pid);
    this.#due.delete(pid);
    const recycle = this.#replacing.get(pid);
    if (recycle) {
      this.#replacing.delete(pid);
      if (this.host.child(recycle.old)) {
        this.#due.set(recycle.old, recycle.reason);
        this.#retryAt = this.clock.now() + this.options.retryMs;
      }
    }
    // The child a replacement was for died meanwhile: the replacement simply keeps its slot.
    for (const [replacement, { old }] of this.#replacing) if (old === pid) this.#replacing.delete(replacement);
    this.#next();
  }

  /** The pool started (again): children due while it was stopped may go now. */
  resumed(): void {
    this.#next();
  }

  close(): void {
    this.#ageTimer?.clear();
    this.#retryTimer?.clear();
    this.#ageTimer = undefined;
    this.#retryTimer = undefined;
  }

  #isOld(pid: number): boolean {
    for (const { old } of this.#replacing.values()) if (old === pid) return true;
    return false;
  }

  /** One timer, for the earliest deadline. */
  #armAgeTimer(): void {
    let earliest = Infinity;
    for (const at of this.#deadlines.values()) earliest = Math.min(earliest, at);
    if (earliest === Infinity) {
      this.#ageTimer?.clear();
      this.#ageTimer = undefined;
      return;
    }
    if (this.#ageTimer && this.#ageTimer.at <= earliest) return;
    this.#ageTimer?.clear();
    const wait = Math.min(Math.max(0, earliest - this.clock.now()), MAX_TIMER_MS);
    const timer = this.clock.setTimer(() => {
      this.#ageTimer = undefined;
      this.#ageCheck();
    }, wait);
    this.#ageTimer = { clear: () => timer.clear(), at: earliest };
  }

  #ageCheck(): void {
    const now = this.clock.now();
    for (const [pid, at] of this.#deadlines) {
      if (at > now) continue;
      this.#deadlines.delete(pid);
      if (this.host.child(pid)) this.#due.set(pid, 'age');
    }
    this.#armAgeTimer();
    this.#next();
  }

  /** Starts recycles while fewer than MAX_RECYCLING run and a due child can go. */
  #next(): void {
    if (!this.host.running) return;
    const wait = this.#retryAt - this.clock.now();
    if (wait > 0) {
      if (!this.#retryTimer) {
        this.#retryTimer = this.clock.setTimer(() => {
          this.#retryTimer = undefined;
          this.#next();
        }, wait);
      }
      return;
    }
    for (const [pid, reason] of this.#due) {
      if (this.#replacing.size >= MAX_RECYCLING) return;
      const child = this.host.child(pid);
      // Gone, already stopping, or of an older generation (a reload replaces it anyway): nothing to do.
      if (!child || child.stopping || child.generation !== this.host.generation) {
        this.#due.delete(pid);
        continue;
      }
      // Not ready itself yet (say, a replacement that came due at once): later, once it is.
      if (!child.ready) continue;
      const replacement = this.host.spawnReplacement();
      if (replacement === undefined) {
        this.#retryAt = this.clock.now() + Math.max(this.options.retryMs, 100);
        return this.#next();
      }
      this.#due.delete(pid);
      this.#replacing.set(replacement, { old: pid, reason });
      // Ready at once (the host may say so synchronously): the old one goes now, and ready() goes on from there.
      if (this.host.child(replacement)?.ready) return this.ready(replacement);
    }
  }
}
