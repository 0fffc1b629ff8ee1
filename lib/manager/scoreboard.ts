/**
 * The manager's scoreboard: each child's latest status and beat (kept on a
 * `ChildBoard`, one per child handle), the pool's counters, and what children
 * that are gone left behind (their served counts and, metrics/retired.ts,
 * their last metrics). `ppi.status()`, the metrics and the control socket
 * read it; the child handles and a few lines of the manager feed it.
 *
 * It is this manager's own: fed by its own handles, not by the process-global
 * event channel (two managers in one process would mix there). The events
 * `beat` and `status` are published for outside observers all the same.
 */
import type { BeatMessage, StatusMessage } from '../protocol/messages';
import type { ChildPhase, ChildStatus, PoolStatus, ReapReason } from '../view';
import { RetiredMetrics } from './metrics/retired';

/** Seconds: prom-client's default buckets, for prefork_callback_duration_seconds. */
export const CALLBACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One child as the scoreboard sees it. `phase` is one field anyone may set (readiness, hang detection). */
export class ChildBoard {
  phase: ChildPhase = 'starting';
  state = 'idle';
  note: string | undefined;
  since: number;
  served = 0;
  inflight = 0;
  elu = 0;
  rss = 0;
  heapUsed = 0;
  lastBeat = 0;
  /** Lifetimes begun. */
  lifetime = 0;
  /** The child's last exported metrics (prom-client JSON), when it exports any. */
  metrics: unknown[] | undefined;
  readonly startedAt = Date.now();
  slot: number | undefined;

  constructor(
    readonly pid: number,
    readonly generation: number,
  ) {
    this.since = this.startedAt;
  }

  /** A status message or a beat arrived. */
  update(message: BeatMessage | StatusMessage, at: number): void {
    this.state = message.state;
    this.note = message.note;
    this.since = message.since;
    this.served = message.served;
    this.inflight = message.inflight;
    if (message.type === 'beat') {
      this.elu = message.elu;
      this.rss = message.rss;
      this.heapUsed = message.heapUsed;
      this.lastBeat = at;
      if (message.metrics !== undefined) this.metrics = message.metrics;
    }
  }

  toJSON(): ChildStatus {
    const { pid, slot, generation, lifetime, phase, state, note, since, served, inflight, elu, rss, heapUsed, lastBeat, startedAt } = this;
    return {
      pid,
      ...(slot === undefined ? {} : { slot }),
      generation,
      lifetime,
      phase,
      state,
      ...(note === undefined ? {} : { note }),
      since,
      served,
      inflight,
      elu,
      rss,
      heapUsed,
      lastBeat,
      startedAt,
    };
  }
}

/** A histogram with fixed buckets: counts per bucket (not cumulative), sum and count. */
export class Histogram {
  readonly counts = new Array<number>(CALLBACK_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    const i = CALLBACK_BUCKETS.findIndex((bound) => seconds <= bound);
    if (i !== -1) this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

/** What the pool is, besides its children: the manager's own facts. */
export interface PoolFacts {
  readonly generation: number;
  readonly maxWorkers: number;
}

export class Scoreboard {
  readonly #boards = new Map<number, ChildBoard>();
  readonly #watchers = new Set<() => void>();
  /** Counters since the manager began. */
  spawns = 0;
  lifetimes = 0;
  readonly reaps = new Map<ReapReason, number>();
  readonly callbacks = new Map<string, { ok: number; failed: number; duration: Histogram }>();
  readonly reloads = new Map<'done' | 'failed', number>();
  /** `served` of the children that are gone. */
  #servedGone = 0;
  /** The last metrics of the children that are gone, summed per series. */
  readonly retired = new RetiredMetrics();

  /** A child was spawned. */
  add(pid: number, generation: number): ChildBoard {
    const board = new ChildBoard(pid, generation);
    this.#boards.set(pid, board);
    this.spawns++;
    return board;
  }

  /** The child's process is gone: its counters and last metrics go into the totals. */
  end(board: ChildBoard): void {
    if (this.#boards.get(board.pid) !== board) return;
    this.#boards.delete(board.pid);
    this.#servedGone += board.served;
    if (board.metrics) this.retired.fold(board.metrics);
    this.changed();
  }

  lifetimeBegun(board: ChildBoard): void {
    board.lifetime++;
    this.lifetimes++;
  }

  reaped(reason: ReapReason): void {
    this.reaps.set(reason, (this.reaps.get(reason) ?? 0) + 1);
  }

  callbackDone(name: string, ok: boolean, seconds: number): void {
    let entry = this.callbacks.get(name);
    if (!entry) {
      entry = { ok: 0, failed: 0, duration: new Histogram() };
      this.callbacks.set(name, entry);
    }
    if (ok) entry.ok++;
    else entry.failed++;
    entry.duration.observe(seconds);
  }

  reloaded(result: 'done' | 'failed'): void {
    this.reloads.set(result, (this.reloads.get(result) ?? 0) + 1);
  }

  get boards(): IterableIterator<ChildBoard> {
    return this.#boards.values();
  }

  board(pid: number): ChildBoard | undefined {
    return this.#boards.get(pid);
  }

  /** Calls `fn` whenever a child's phase changes or a child is gone (the control socket's `--wait`). Returns the unwatch. */
  watch(fn: () => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  changed(): void {
    for (const fn of [...this.#watchers]) fn();
  }

  /** Sets a child's phase (and tells the watchers when it changed). */
  setPhase(board: ChildBoard, phase: ChildPhase): void {
    if (board.phase === phase) return;
    board.phase = phase;
    this.changed();
  }

  /** `ppi.status()`: from memory, one pass over the children. */
  status(pool: PoolFacts): PoolStatus {
    let busy = 0;
    let idle = 0;
    let starting = 0;
    let stopping = 0;
    let served = this.#servedGone;
    const children: ChildStatus[] = [];
    for (const board of this.#boards.values()) {
      served += board.served;
      if (board.phase === 'starting') starting++;
      else if (board.phase === 'stopping') stopping++;
      else if (board.state === 'idle') idle++;
      else busy++;
      children.push(board.toJSON());
    }
    return {
      pid: process.pid,
      generation: pool.generation,
      maxWorkers: pool.maxWorkers,
      uptime: Math.round(process.uptime()),
      busy,
      idle,
      starting,
      stopping,
      served,
      spawns: this.spawns,
      lifetimes: this.lifetimes,
      children,
    };
  }
}
