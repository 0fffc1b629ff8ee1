import { spawn } from 'node:child_process';
import { assertReexecutable, reexecCommand } from './entry-script';
import { guardChild } from './exit-guard';
import { Worker, type WorkerHost } from './worker';
import { checkMaxWorkers, MAX_TIMER_MS, type ResolvedOptions } from '../options';
import { warn } from '../warn';
import { normalizeSignal, type SignalName } from '../signals';
import type { PreforkIPC } from '../prefork-ipc';

import { CHILD_MARKER } from '../child-marker';
export { CHILD_MARKER };

/** Forwarding one of these means "stop": a child that ignores it is killed after `gracePeriod`. */
const STOP_SIGNALS = new Set(['TERM', 'INT', 'QUIT']);

/** Least pause after spawn() itself failed (EAGAIN, ENOMEM…), so a failing spawn is never retried in a tight loop. */
const SPAWN_FAILURE_PAUSE_MS = 100;

/** A ref'd timer that never fires: start() may wait with no child and no timer, and must not let Node exit. */
const KEEP_ALIVE_MS = MAX_TIMER_MS;

/** A signal being forwarded one child at a time, and whoever waits for it to reach the last one. */
interface Stagger {
  timer?: NodeJS.Timeout;
  done: Array<() => void>;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * The manager side: keeps `maxWorkers` children alive, serves their callbacks,
 * reaps them, and turns trapped signals into the end of a generation.
 * Everything here is driven by events (child exit, pipe data, signals, and
 * timers for the spawn intervals); nothing polls.
 */
export class Manager implements WorkerHost {
  generation = 0;
  signalReceived = '';
  readonly workers = new Map<number, Worker>();

  #maxWorkers: number;
  #starting: (Pending<true> & { keepAlive: NodeJS.Timeout }) | undefined;
  #waiters = new Set<Pending<number> & { timer?: NodeJS.Timeout }>();
  #spawnTimer: NodeJS.Timeout | undefined;
  #nextSpawnAt = 0;
  #pausedUntil = 0;
  #reapHooks = new Set<Promise<void>>();
  /** A staggered forward in progress, and who waits for it to end. */
  #stagger: Stagger | undefined;
  /** Children of this generation are dying without calling finish(): spawn one per errRespawnInterval. */
  #crashing = false;

  constructor(
    private readonly owner: PreforkIPC,
    private readonly options: ResolvedOptions,
  ) {
    this.#maxWorkers = options.maxWorkers;
    for (const name of options.trapSignals.keys()) {
      // A listener also keeps Node from its default action, e.g. opening the inspector on SIGUSR1.
      process.on(`SIG${name}` as NodeJS.Signals, () => this.#onSignal(name));
    }
  }

  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  set maxWorkers(value: number) {
    this.#maxWorkers = checkMaxWorkers(value);
    this.#fill();
  }

  get maxMessageBytes(): number {
    return this.options.maxMessageBytes;
  }

  get callbackTimeout(): number | undefined {
    return this.options.callbackTimeout;
  }

  get running(): boolean {
    return this.#starting !== undefined;
  }

  start(): Promise<true> {
    if (this.#starting) return Promise.reject(new Error('PreforkIPC.start() is already running in this manager'));
    try {
      assertReexecutable(this.options.exec); // fails early, and clearly, when there is no script to run again
    } catch (err) {
      return Promise.reject(err);
    }
    this.generation++;
    this.signalReceived = '';
    this.#crashing = false;
    return new Promise<true>((resolve, reject) => {
      this.#starting = { resolve, reject, keepAlive: setTimeout(() => {}, KEEP_ALIVE_MS) };
      this.#fill();
    });
  }

  /** Acts as if the trapped signal `name` had arrived: ends the running start(), or signals the children during waitAllChildren(). */
  stop(name: SignalName): void {
    this.#onSignal(name);
  }

  waitAllChildren(timeoutMs?: number): Promise<number> {
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      return Promise.reject(new TypeError(`waitAllChildren(timeout): timeout must be a number of ms ≥ 0, got ${String(timeoutMs)}`));
    }
    if (this.#settled()) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      const waiter: Pending<number> & { timer?: NodeJS.Timeout } = { resolve, reject };
      if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(this.workers.size);
        }, timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  signalAllChildren(signal: SignalName): number {
    let reached = 0;
    for (const worker of this.workers.values()) if (worker.kill(`SIG${signal}` as NodeJS.Signals)) reached++;
    return reached;
  }

  // ---- WorkerHost: what a Worker needs from us ----

  findCallback(name: string): ((...args: never[]) => unknown) | undefined {
    return this.options.callbacks.get(name) as ((...args: never[]) => unknown) | undefined;
  }

  callbackNames(): string[] {
    return [...this.options.callbacks.keys()];
  }

  invokeCallback(name: string, pid: number, payload: unknown): unknown {
    return this.options.callbacks.get(name)!(this.owner, pid, payload);
  }

  workerEnded(worker: Worker, status: number): void {
    this.workers.delete(worker.pid);
    // Only inside start(): children ended by the signal that ended start() are no crash.
    if (this.running && worker.generation === this.generation) {
      const crashed = status !== 0 && !worker.finished;
      if (status === 0 || worker.finished) this.#crashing = false;
      if (status !== 0 && this.options.errRespawnInterval > 0) {
        this.#pausedUntil = Date.now() + this.options.errRespawnInterval;
        if (crashed) {
          this.#crashing = true;
          warn(
            `child ${worker.pid} exited with status ${status} without calling finish(); ` +
              `next spawn in ${this.options.errRespawnInterval} ms (errRespawnInterval)`,
          );
        }
      }
    }
    const { onChildReap } = this.options;
    if (onChildReap) {
      const payload = worker.hasFinalPayload ? worker.finalPayload : undefined;
      const done = this.#guard(() => onChildReap(this.owner, worker.pid, status, payload));
      if (done) {
        this.#reapHooks.add(done);
        void done.finally(() => {
          this.#reapHooks.delete(done);
          this.#checkWaiters();
        });
      }
    }
    this.#fill();
    this.#checkWaiters();
  }

  // ---- the prefork loop ----

  #fill(): void {
    clearTimeout(this.#spawnTimer);
    this.#spawnTimer = undefined;
    while (this.#starting && this.workers.size < this.#maxWorkers) {
      const now = Date.now();
      const wait = Math.max(this.#nextSpawnAt, this.#pausedUntil) - now;
      if (wait > 0) {
        this.#spawnTimer = setTimeout(() => this.#fill(), Math.min(wait, MAX_TIMER_MS));
        return;
      }
      // While children crash at start-up, let one through per interval rather than maxWorkers.
      const interval = this.#crashing ? Math.max(this.options.spawnInterval, this.options.errRespawnInterval) : this.options.spawnInterval;
      this.#nextSpawnAt = now + interval;
      if (!this.#spawnOne()) return;
    }
  }

  /** Spawns one child; false when spawning failed or a hook threw, so the loop stops for now. */
  #spawnOne(): boolean {
    const { beforeFork, afterFork } = this.options;
    let workerData: unknown;
    if (beforeFork && !this.#guardSync(() => (workerData = beforeFork(this.owner)))) return false;
    if (isThenable(workerData)) {
      this.#fail(
        new TypeError(
          'beforeFork must return the workerData itself, not a promise: fetch per-child data ' +
            'asynchronously through a callback instead',
        ),
      );
      return false;
    }
    // beforeFork may have called stop(): spawn nothing more then.
    if (!this.#starting) return false;

    const command = reexecCommand(this.options.exec);
    const child = spawn(command.file, command.args, {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
      env: { ...process.env, ...command.env, [CHILD_MARKER]: '1' },
    });
    if (child.pid === undefined) {
      child.once('error', (err) => warn(`could not spawn a child: ${err.message}`));
      const pause = Math.max(this.options.errRespawnInterval, SPAWN_FAILURE_PAUSE_MS);
      this.#pausedUntil = Date.now() + pause;
      this.#spawnTimer = setTimeout(() => this.#fill(), Math.min(pause, MAX_TIMER_MS));
      return false;
    }
    const worker = new Worker(child as typeof child & { pid: number }, this.generation, this);
    const unguard = guardChild(worker);
    child.once('exit', unguard);
    this.workers.set(worker.pid, worker);
    try {
      worker.hello(this.generation, workerData);
    } catch (err) {
      worker.kill('SIGKILL');
      this.#fail(err);
      return false;
    }
    return !afterFork || this.#guardSync(() => afterFork(this.owner, worker.pid));
  }

  // ---- signals ----

  #onSignal(name: SignalName): void {
    this.signalReceived = name;
    if (this.running) this.#interrupt(name);
    else if (this.#waiters.size > 0) this.#forward(name, () => {});
  }

  #interrupt(name: SignalName): void {
    const starting = this.#starting;
    if (!starting) return;
    this.#starting = undefined;
    clearTimeout(this.#spawnTimer);
    this.#forward(name, () => {
      clearTimeout(starting.keepAlive);
      starting.resolve(true);
    });
  }

  /** Sends the signal that `trapSignals` maps `name` to, then calls `done`. */
  #forward(name: SignalName, done: () => void): void {
    const mapped = this.options.trapSignals.has(name)
      ? this.options.trapSignals.get(name)
      : { signal: normalizeSignal(name) ?? 'TERM', intervalMs: 0 };
    if (!mapped) return done();
    const { gracePeriod } = this.options;
    const send = (worker: Worker): void => {
      if (!worker.kill(`SIG${mapped.signal}` as NodeJS.Signals)) return;
      if (gracePeriod !== null && STOP_SIGNALS.has(mapped.signal)) worker.killLater(gracePeriod, mapped.signal);
    };
    if (mapped.intervalMs === 0) {
      for (const worker of this.workers.values()) send(worker);
      return done();
    }
    // Signals sent back to back merge, as the kernel merges them: one stagger at a time.
    if (this.#stagger) {
      this.#stagger.done.push(done);
      return;
    }
    const stagger: Stagger = { done: [done] };
    this.#stagger = stagger;
    const queue = [...this.workers.values()];
    const next = (): void => {
      const worker = queue.shift();
      if (worker) send(worker);
      if (queue.length > 0) {
        stagger.timer = setTimeout(next, Math.min(mapped.intervalMs, MAX_TIMER_MS));
        return;
      }
      this.#stagger = undefined;
      for (const each of stagger.done) each();
    };
    next();
  }

  // ---- errors from user hooks ----

  #guardSync(fn: () => unknown): boolean {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch((err: unknown) => this.#fail(err));
      return true;
    } catch (err) {
      this.#fail(err);
      return false;
    }
  }

  #guard(fn: () => unknown): Promise<void> | undefined {
    try {
      const result = fn();
      if (result instanceof Promise) return result.then(() => undefined, (err: unknown) => this.#fail(err));
    } catch (err) {
      this.#fail(err);
    }
    return undefined;
  }

  /** A user hook threw: the promise the user is awaiting rejects with it, as a die would leave Perl's start(). */
  #fail(error: unknown): void {
    const starting = this.#starting;
    if (starting) {
      this.#starting = undefined;
      clearTimeout(this.#spawnTimer);
      clearTimeout(starting.keepAlive);
      starting.reject(error);
      return;
    }
    const [waiter] = this.#waiters;
    if (waiter) {
      this.#waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.reject(error);
      return;
    }
    process.nextTick(() => {
      throw error;
    });
  }

  #settled(): boolean {
    return this.workers.size === 0 && this.#reapHooks.size === 0;
  }

  #checkWaiters(): void {
    if (!this.#settled()) return;
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(0);
    }
    this.#waiters.clear();
  }
}

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
