import { spawn } from 'node:child_process';
import { assertReexecutable, reexecCommand } from '../launch/command';
import { childStdio } from '../launch/stdio';
import { checkMaxWorkers, MAX_TIMER_MS, type ResolvedOptions } from '../options';
import { CHILD_MARKER } from '../role';
import { nodeSignal, normalizeSignal, type SignalName } from '../signals';
import type { Listener, PreforkView } from '../view';
import { warn } from '../warn';
import { CallbackServer, type CallOutcome } from './callback-server';
import { publish } from './events';
import { ChildHandle, type ChildHandleHost } from './child-handle';
import { EarlyExitWatch } from './early-exit-watch';
import { guardChild } from './exit-guard';
import { callHook, isThenable, settleHook, THREW } from './hook-guard';
import { openListeners, type OpenListener } from './listeners';
import { writePidFile } from './pid-file';
import type { Lifetime } from './lifetime';
import { reapInfo, type ProcessEnd } from './reap-info';
import { Retirement } from './retirement';
import type { RoundRobin } from './round-robin';
import { Stagger } from './stagger';
import type { SystemdNotifier } from './systemd';

/** Forwarding one of these means "stop": a child that ignores it is killed after `gracePeriod`. */
const STOP_SIGNALS = new Set(['TERM', 'INT', 'QUIT']);

/** Least pause after spawn() itself failed (EAGAIN, ENOMEM…), so a failing spawn is never retried in a tight loop. */
const SPAWN_FAILURE_PAUSE_MS = 100;

/** A ref'd timer that never fires: start() may wait with no child and no timer, and must not let Node exit. */
const KEEP_ALIVE_MS = MAX_TIMER_MS;

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
export class Manager implements ChildHandleHost {
  generation = 0;
  signalReceived = '';
  readonly children = new Map<number, ChildHandle>();

  #maxWorkers: number;
  #starting: (Pending<true> & { keepAlive: NodeJS.Timeout }) | undefined;
  #waiters = new Set<Pending<number> & { timer?: NodeJS.Timeout }>();
  #spawnTimer: NodeJS.Timeout | undefined;
  #nextSpawnAt = 0;
  #pausedUntil = 0;
  #reapHooks = new Set<Promise<void>>();
  /** A staggered forward in progress: it runs beside the pool (see stagger.ts). */
  #stagger: { stagger: Stagger<ChildHandle>; signal: SignalName } | undefined;
  /** The `listen` option's sockets, opened by the first start() and held until the manager exits. */
  #listeners: OpenListener[] = [];
  #listening = false;
  /** `balance: 'round-robin'`: the manager accepts and deals connections out (round-robin.ts, loaded only then). */
  #dealer: RoundRobin | undefined;
  #opening = false;
  /** Children of this generation are dying without calling finish(): spawn one per errRespawnInterval. */
  #crashing = false;
  readonly #callbacks: CallbackServer;
  readonly #retirement: Retirement;
  readonly #earlyExits: EarlyExitWatch;
  /** lifetimesPerChild > 1 (or a jitter): finish() resolves in the child and the manager hands it further lifetimes. */
  readonly #reuse: boolean;
  /** The `systemd` option's notifier (systemd.ts), made at the first start() when it asks for one. */
  #systemd: SystemdNotifier | undefined;
  #systemdChecked = false;

  constructor(
    private readonly owner: PreforkView,
    private readonly options: ResolvedOptions,
  ) {
    this.#maxWorkers = options.maxWorkers;
    this.#callbacks = new CallbackServer(options.callbacks, owner, options.callbackTimeout);
    if (options.pidFile !== undefined) writePidFile(options.pidFile);
    this.#retirement = new Retirement(options);
    // With jitter, even lifetimesPerChild 1 gives some processes a limit above 1.
    this.#reuse = (options.lifetimesPerChild ?? 1) > 1 || (options.lifetimesJitter ?? 0) > 0;
    this.#earlyExits = new EarlyExitWatch(this.#reuse);
    for (const name of options.trapSignals.keys()) {
      // A listener also keeps Node from its default action, e.g. opening the inspector on SIGUSR1.
      process.on(nodeSignal(name), () => this.#onSignal(name));
    }
  }

  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /**
   * Raising spawns at once; lowering to n > 0 retires the surplus, oldest first.
   * Lowering to 0 retires nothing: `maxWorkers = 0` is the established way
   * (tests, benchmarks, the prefork-ipc command) to say "spawn no more" and
   * let the running children finish their work.
   */
  set maxWorkers(value: number) {
    this.#maxWorkers = checkMaxWorkers(value);
    if (this.#maxWorkers > 0) this.#retireSurplus();
    this.#fill();
  }

  /** Addresses of the listening sockets (empty before the first start()). */
  get listeners(): readonly Listener[] {
    return this.#listeners.map((listener) => ({ ...listener.info }));
  }

  get maxMessageBytes(): number {
    return this.options.maxMessageBytes;
  }

  get running(): boolean {
    return this.#starting !== undefined;
  }

  start(): Promise<true> {
    if (this.#starting || this.#opening) return Promise.reject(new Error('PreforkIPC.start() is already running in this manager'));
    try {
      assertReexecutable(this.options.exec); // fails early, and clearly, when there is no script to run again
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- assertReexecutable's own Error, passed on as a rejection
      return Promise.reject(err);
    }
    if (this.options.listen !== undefined && !this.#listening) {
      // Once, before the first spawn: a port in use fails start() before any child exists.
      this.#opening = true;
      const opening = openListeners(this.options.listen)
        .then(async (listeners) => {
          this.#listeners = listeners;
          if (this.options.balance === 'round-robin') {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: only a round-robin manager needs it
            const { RoundRobin } = require('./round-robin') as typeof import('./round-robin');
            this.#dealer = await RoundRobin.open(listeners);
          }
        })
        .finally(() => (this.#opening = false));
      return opening.then(() => {
        this.#listening = true;
        return this.start();
      });
    }
    if (!this.#systemdChecked) this.#startSystemd();
    this.generation++;
    this.signalReceived = '';
    this.#crashing = false;
    return new Promise<true>((resolve, reject) => {
      this.#starting = { resolve, reject, keepAlive: setTimeout(() => {}, KEEP_ALIVE_MS) };
      this.#fill();
    });
  }

  /** Children alive, not told to stop, and ready (for now: spawned and greeted; see docs/servers.md). */
  readyCount(): number {
    let ready = 0;
    for (const child of this.children.values()) if (!child.slotReleased && child.stopSent === undefined && !child.retired) ready++;
    return ready;
  }

  get numWorkers(): number {
    return this.children.size;
  }

  #startSystemd(): void {
    this.#systemdChecked = true;
    if (this.options.systemd === false) return;
    // Loaded only when asked for: most pools never run under systemd's notify protocol.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily (see above)
    const { startSystemdNotifier } = require('./systemd') as typeof import('./systemd');
    this.#systemd = startSystemdNotifier(this.options.systemd, this);
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
          resolve(this.children.size);
        }, timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  /** Aborts child `pid`'s current lifetime as lifetimeTimeout would; false when there is none. */
  cancel(pid: number, reason: string): boolean {
    return this.children.get(pid)?.abortLifetime(reason, false, this.options.gracePeriod) ?? false;
  }

  /** Sends a message to child `pid`; false when it is gone. Throws for a value JSON cannot carry. */
  send(pid: number, message: unknown): boolean {
    return this.children.get(pid)?.sendMessage(message) ?? false;
  }

  signalAllChildren(signal: SignalName): number {
    let reached = 0;
    for (const child of this.children.values()) if (child.kill(nodeSignal(signal))) reached++;
    return reached;
  }

  // ---- ChildHandleHost: what a ChildHandle needs from us ----

  serve(name: string, pid: number, payload: unknown): Promise<CallOutcome> {
    return this.#callbacks.serve(name, pid, payload);
  }

  childEnded(child: ChildHandle, status: number, end: ProcessEnd): void {
    this.children.delete(child.pid);
    this.#dealer?.detach(child.pid);
    const lifetime = child.lifetime;
    // A retired child (or one between lifetimes) ended no lifetime: nothing to reap, only a place to fill.
    if (lifetime) {
      // Only inside start(): children ended by the signal that ended start() are no crash,
      // nor are those the manager told to stop (a retirement, a rolling forward).
      if (this.running && child.generation === this.generation && child.stopSent === undefined) {
        const crashed = status !== 0 && !lifetime.finished;
        if (status === 0 || lifetime.finished) this.#crashing = false;
        if (status !== 0 && this.options.errRespawnInterval > 0) {
          this.#pausedUntil = Date.now() + this.options.errRespawnInterval;
          if (crashed) {
            this.#crashing = true;
            warn(
              `child ${child.pid} exited with status ${status} without calling finish(); ` +
                `next spawn in ${this.options.errRespawnInterval} ms (errRespawnInterval)`,
            );
          }
        }
        const withoutFinish = reapInfo(lifetime, end).reason === 'exited';
        this.#earlyExits.ended(child.pid, withoutFinish, status, Date.now() - lifetime.startedAt);
      }
      this.#reap(child, lifetime, status, end);
    }
    this.#fill();
    this.#checkWaiters();
  }

  lifetimeFinished(child: ChildHandle, lifetime: Lifetime, rss: number | undefined): void {
    this.#crashing = false;
    this.#earlyExits.ended(child.pid, false, lifetime.code, Date.now() - lifetime.startedAt);
    this.#reap(child, lifetime, lifetime.code, undefined);
    const reason = this.#retirement.decide({
      served: child.served,
      limit: child.limit,
      current: this.running && child.generation === this.generation,
      stopping: child.slotReleased || child.stopSent !== undefined,
      alive: this.#counted(),
      maxWorkers: this.#maxWorkers,
      rss,
    });
    if (reason) {
      this.#dealer?.withdraw(child.pid);
      child.retire(reason);
      this.#fill();
    } else this.#nextLifetime(child);
    this.#checkWaiters();
  }

  replaceRequested(child: ChildHandle, reason: 'requests'): void {
    void child;
    void reason; // wired to recycling.ts through the sizing policy once that is on main
  }

  /** onChildReap for one lifetime; `end` is undefined when a reused child's lifetime ended with finish(). */
  #reap(child: ChildHandle, lifetime: Lifetime, status: number, end: ProcessEnd | undefined): void {
    const { onChildReap } = this.options;
    if (!onChildReap) return;
    const payload = lifetime.hasPayload ? lifetime.payload : undefined;
    const info = reapInfo(lifetime, end);
    const fail = (err: unknown): void => this.#fail(err);
    const result = callHook(() => onChildReap(this.owner, child.pid, status, payload, info), fail);
    const done = result === THREW ? undefined : settleHook(result, fail);
    if (done) {
      this.#reapHooks.add(done);
      void done.finally(() => {
        this.#reapHooks.delete(done);
        this.#checkWaiters();
      });
    }
  }

  // ---- the prefork loop ----

  #fill(): void {
    clearTimeout(this.#spawnTimer);
    this.#spawnTimer = undefined;
    while (this.#starting && this.#counted() < this.#maxWorkers) {
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

  /**
   * Calls beforeFork for a lifetime about to begin: `{ workerData }`, or
   * undefined when it threw, returned a promise, or called stop().
   */
  #beforeFork(): { workerData: unknown } | undefined {
    const { beforeFork } = this.options;
    const fail = (err: unknown): void => this.#fail(err);
    const workerData = beforeFork ? callHook(() => beforeFork(this.owner), fail) : undefined;
    if (workerData === THREW) return undefined;
    if (isThenable(workerData)) {
      workerData.then(undefined, () => {}); // reported as the TypeError below, not as an unhandled rejection
      fail(
        new TypeError(
          'beforeFork must return the workerData itself, not a promise: fetch per-child data ' +
            'asynchronously through a callback instead',
        ),
      );
      return undefined;
    }
    // beforeFork may have called stop(): begin nothing more then.
    if (!this.#starting) return undefined;
    return { workerData };
  }

  /** afterFork, and the lifetime's timeout; false when afterFork threw. */
  #lifetimeBegun(child: ChildHandle): boolean {
    const { lifetimeTimeout } = this.options;
    const lifetime = child.lifetime;
    if (lifetimeTimeout !== undefined && lifetime) {
      lifetime.later(lifetimeTimeout, () => child.abortLifetime('timeout', true, this.options.gracePeriod));
    }
    const { afterFork } = this.options;
    if (!afterFork) return true;
    const fail = (err: unknown): void => this.#fail(err);
    const result = callHook(() => afterFork(this.owner, child.pid), fail);
    if (result === THREW) return false;
    void settleHook(result, fail);
    return true;
  }

  /**
   * A reused child finished a lifetime and is not retired: its next one, with
   * the hooks around it as around a spawn. Handed over now rather than when its
   * start() asks: the acknowledgement and the next lifetime leave in one write,
   * and the child's start() resolves without a round trip of its own.
   */
  #nextLifetime(child: ChildHandle): void {
    const begin = this.#beforeFork();
    if (!begin) return child.retire('stopping');
    try {
      child.beginLifetime(begin.workerData, this.#maxWorkers);
    } catch (err) {
      child.retire('stopping');
      this.#fail(err);
      return;
    }
    this.#lifetimeBegun(child);
  }

  /** Spawns one child; false when spawning failed or a hook threw, so the loop stops for now. */
  #spawnOne(): boolean {
    const begin = this.#beforeFork();
    if (!begin) return false;
    const fail = (err: unknown): void => this.#fail(err);

    const command = reexecCommand(this.options.exec);
    const spawned = spawn(command.file, command.args, {
      // Round-robin: the manager alone accepts, so a child holds no listening socket, only the IPC channel.
      stdio: this.#dealer ? childStdio([], true) : childStdio(this.#listeners),
      // LISTEN_PID names this process: a child must find its sockets in ppi.listeners, not there.
      env: { ...process.env, ...command.env, LISTEN_FDS: undefined, LISTEN_PID: undefined, ...this.#systemd?.childEnv, [CHILD_MARKER]: '1' },
    });
    if (spawned.pid === undefined) {
      spawned.once('error', (err) => warn(`could not spawn a child: ${err.message}`));
      const pause = Math.max(this.options.errRespawnInterval, SPAWN_FAILURE_PAUSE_MS);
      this.#pausedUntil = Date.now() + pause;
      this.#spawnTimer = setTimeout(() => this.#fill(), Math.min(pause, MAX_TIMER_MS));
      return false;
    }
    const limit = this.#retirement.limitForNewChild();
    const child = new ChildHandle(spawned as typeof spawned & { pid: number }, this.generation, this, limit);
    spawned.once('exit', guardChild(child));
    this.children.set(child.pid, child);
    this.#dealer?.attach(child.pid, spawned, this.generation);
    try {
      child.hello(this.generation, begin.workerData, {
        maxWorkers: this.#maxWorkers,
        reuse: this.#reuse,
        reportRss: this.#reuse && this.options.maxChildMemory !== undefined,
        listeners: this.#listeners.map((listener) => listener.info),
        roundRobin: this.#dealer !== undefined,
      });
    } catch (err) {
      child.kill('SIGKILL');
      fail(err);
      return false;
    }
    return this.#lifetimeBegun(child);
  }

  // ---- signals ----

  #onSignal(name: SignalName): void {
    const action = this.options.trapSignals.get(name);
    if (action && 'resize' in action) return this.#resize(action.resize);
    this.signalReceived = name;
    if (this.running) this.#interrupt(name);
    else if (this.#waiters.size > 0) this.#forward(name);
  }

  #interrupt(name: SignalName): void {
    const starting = this.#starting;
    if (!starting) return;
    this.#starting = undefined;
    clearTimeout(this.#spawnTimer);
    if (STOP_SIGNALS.has(name)) publish('stop', { signal: name, generation: this.generation, at: Date.now() });
    this.#forward(name);
    clearTimeout(starting.keepAlive);
    starting.resolve(true);
  }

  /**
   * Sends the signal that `trapSignals` maps `name` to. The staggered form
   * sends to the first child now and to the rest from a timer (stagger.ts),
   * and each child it tells to stop gives up its slot at once, so its
   * replacement starts while it drains (docs/servers.md says why). The same
   * staggered signal again extends the running stagger; anything else sends
   * the rest of it at once first (a TERM during a rolling restart).
   */
  #forward(name: SignalName): void {
    const action = this.options.trapSignals.has(name)
      ? this.options.trapSignals.get(name)
      : { signal: normalizeSignal(name) ?? 'TERM', intervalMs: 0 };
    const mapped = action && 'signal' in action ? action : undefined;
    const running = this.#stagger;
    if (running && !(mapped && mapped.intervalMs > 0 && mapped.signal === running.signal)) running.stagger.flush();
    if (!mapped) return;
    const { signal, intervalMs } = mapped;
    // A child already told to stop with this signal is not told again.
    const targets = [...this.children.values()].filter((child) => child.stopSent !== signal);
    if (intervalMs === 0) {
      for (const child of targets) this.#tell(child, signal, false);
      return;
    }
    if (this.#stagger) return this.#stagger.stagger.extend(targets);
    const stagger = new Stagger(targets, intervalMs, (child) => this.#tell(child, signal, true), () => {
      if (this.#stagger?.stagger === stagger) this.#stagger = undefined;
    });
    this.#stagger = { stagger, signal };
    stagger.run();
  }

  /** Sends `signal`; a stop signal arms the gracePeriod, and with `release` frees the child's slot. */
  #tell(child: ChildHandle, signal: SignalName, release: boolean): void {
    if (!child.kill(nodeSignal(signal))) return;
    if (!STOP_SIGNALS.has(signal)) return;
    child.stopSent = signal;
    this.#dealer?.withdraw(child.pid); // from now on new connections go to its siblings or successors
    if (this.options.gracePeriod !== null) child.killLater(this.options.gracePeriod, signal);
    if (release && !child.slotReleased) {
      child.slotReleased = true;
      this.#fill();
    }
  }

  /** Children that count towards maxWorkers: all but those told to stop by a rolling forward or a shrink. */
  #counted(): number {
    let counted = 0;
    for (const child of this.children.values()) if (!child.slotReleased) counted++;
    return counted;
  }

  /**
   * Stops the children over maxWorkers, oldest first (as gunicorn's TTOU),
   * with the signal TERM is mapped to (TERM when that is not a stop signal)
   * and gracePeriod.
   */
  #retireSurplus(): void {
    const term = this.options.trapSignals.get('TERM');
    const signal = term && 'signal' in term && STOP_SIGNALS.has(term.signal) ? term.signal : 'TERM';
    let surplus = this.#counted() - this.#maxWorkers;
    for (const child of this.children.values()) {
      if (surplus <= 0) break;
      if (child.slotReleased) continue;
      child.slotReleased = true;
      surplus--;
      this.#tell(child, signal, false);
    }
  }

  /** A `'addWorker'` / `'removeWorker'` action (TTIN / TTOU): one child more or fewer; start() goes on. */
  #resize(by: 1 | -1): void {
    this.#maxWorkers = Math.max(0, this.#maxWorkers + by);
    this.#retireSurplus();
    this.#fill();
  }

  // ---- errors from user hooks ----

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
    return this.children.size === 0 && this.#reapHooks.size === 0;
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
