import { assertReexecutable } from '../launch/command';
import { checkMaxWorkers, DEFAULTS, MAX_TIMER_MS, type ResolvedOptions } from '../options';
import { nodeSignal, type SignalName } from '../signals';
import type { Listener, ManagerView } from '../view';
import { CallbackServer, type CallOutcome } from './callback-server';
import { ChildHandle, helloExtras, type ChildHandleHost } from './child-handle';
import { observed, publish } from './events';
import { guardChild } from './exit-guard';
import { HangWatch } from './hang-watch';
import type { OpenListener } from './listeners';
import { writePidFile } from './pid-file';
import type { Lifetime } from './lifetime';
import type { PoolState, SizingAction, SizingPolicy } from './policy';
import { HeldReload, STOP_SIGNALS } from './held-reload';
import { reapInfo, type ProcessEnd } from './reap-info';
import { ReloadEvents } from './reload-events';
import { spawnProcess } from './spawn-process';
import type { RetireReason } from './retirement';
import type { RoundRobin } from './round-robin';
import { sizingPolicyFor } from './spare-workers';
import { SignalForwarder } from './forward';
import { openSockets } from './sockets';
import { SystemdStart } from './systemd-start';
import { UserHooks } from './user-hooks';
import { Observability } from './observe';
import type { Scoreboard } from './scoreboard';
import { StartFailures } from './start-failures';
import { Waiters } from './waiters';

/** A ref'd timer that never fires: start() may wait with no child and no timer, and must not let Node exit. */
const KEEP_ALIVE_MS = MAX_TIMER_MS;

/** Managers made in this process: each one's id on the event channel (events.ts). */
let managersMade = 0;

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * The manager side: keeps `maxWorkers` children alive, serves their callbacks,
 * reaps them, and turns trapped signals into the end of a generation.
 * Everything here is driven by events (child exit, pipe data, signals, and
 * timers for the spawn intervals); nothing polls.
 *
 * It reads as Perl's Parallel::Prefork: the loop (`#fill`) asks the sizing
 * policy (policy.ts) what to do and executes its answer (`#execute`: spawn,
 * wait, retire); the reaps (`childEnded`, `lifetimeFinished`) tell the policy
 * what happened and ask again. What happens is published on the event
 * channel (events.ts). Children that do not come up are start-failures.ts's,
 * a gated reload's held signal held-reload.ts's, the signals on their way to
 * the children forward.ts's, and waitAllChildren()'s promises waiters.ts's.
 */
export class Manager implements ChildHandleHost {
  generation = 0;
  signalReceived = '';
  readonly children = new Map<number, ChildHandle>();

  #maxWorkers: number;
  #starting: (Pending<true> & { keepAlive: NodeJS.Timeout }) | undefined;
  readonly #waiters: Waiters;
  #spawnTimer: NodeJS.Timeout | undefined;
  /** The `listen` option's sockets, opened by the first start() and held until the manager exits. */
  #sockets: OpenListener[] = [];
  #listening = false;
  /** `balance: 'round-robin'`: the manager accepts and deals connections out (round-robin.ts, loaded only then). */
  #dealer: RoundRobin | undefined;
  #opening = false;
  /** This manager's id on the event channel. */
  readonly #id = ++managersMade;
  readonly #policy: SizingPolicy;
  readonly #reloads = new ReloadEvents(this.#id);
  /** trapSignals' forwards and each signal to a child (forward.ts). */
  readonly #signals: SignalForwarder;
  readonly #callbacks: CallbackServer;
  readonly #hooks: UserHooks;
  /** status(), metrics(), the control socket (observe.ts). */
  readonly observe: Observability;
  /** A gated reload's signal, held until the next start() (held-reload.ts). */
  readonly #heldReload: HeldReload;
  /** Children that fail to start: readyTimeout, maxRestarts, a gated reload's failed steps (start-failures.ts). */
  readonly #failures: StartFailures;
  /** lifetimesPerChild > 1 (or a jitter): finish() resolves in the child and the manager hands it further lifetimes. */
  readonly #reuse: boolean;
  /** hangTimeout: the watchdog on the children's beats (hang-watch.ts); undefined without the option. */
  readonly #hangs: HangWatch | undefined;
  /** The `systemd` option: its notifier made at the first start() (systemd-start.ts). */
  readonly #systemd: SystemdStart;

  constructor(
    owner: ManagerView,
    private readonly options: ResolvedOptions,
  ) {
    this.#maxWorkers = options.maxWorkers;
    this.#callbacks = new CallbackServer(options.callbacks, owner, options.callbackTimeout, this.#id);
    if (options.pidFile !== undefined) writePidFile(options.pidFile);
    this.#policy = sizingPolicyFor(options, this.#id, () => this.#fill());
    this.#hooks = new UserHooks(owner, options, (err) => this.#fail(err), () => this.#waiters.check());
    this.#signals = new SignalForwarder(options, this.#reloads, {
      children: this.children,
      generation: () => this.generation,
      dealer: () => this.#dealer,
      fill: () => this.#fill(),
    });
    this.#waiters = new Waiters(() => this.children.size + this.#hooks.pendingReaps, () => this.#heldReload.flush());
    // With jitter, even lifetimesPerChild 1 gives some processes a limit above 1.
    this.#reuse = (options.lifetimesPerChild ?? DEFAULTS.lifetimesPerChild) > 1 || (options.lifetimesJitter ?? DEFAULTS.lifetimesJitter) > 0;
    this.#hangs = options.hangTimeout === undefined ? undefined : new HangWatch(options.hangTimeout);
    this.#heldReload = new HeldReload(options, (signal, intervalMs) => this.#policy.reloadBegun(signal, intervalMs), (name) => this.#signals.forward(name));
    const failureActions = {
      stopChild: (child: ChildHandle, release: boolean) => this.#signals.stop(child, release),
      fill: () => this.#fill(),
      fail: (error: unknown) => this.#fail(error),
    };
    this.#failures = new StartFailures(options, this.#reuse, this, failureActions, this.#policy, this.#reloads, this.#hooks);
    this.observe = new Observability(this, options, this.#id);
    this.#systemd = new SystemdStart(options.systemd, this, this.#id);
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
    if (this.#maxWorkers > 0) this.#shrink();
    this.#fill();
  }

  /** Addresses of the listening sockets (empty before the first start()). */
  get listeners(): readonly Listener[] {
    return this.#sockets.map((listener) => ({ ...listener.info }));
  }

  get maxMessageBytes(): number {
    return this.options.maxMessageBytes;
  }

  get maxCallsInFlight(): number {
    return this.options.maxCallsInFlight;
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
    const control = this.observe.openControl();
    if (control) return control.then(() => this.start());
    if (this.options.listen !== undefined && !this.#listening) {
      this.#opening = true; // once, before the first spawn (sockets.ts)
      const opening = openSockets(this.options, this.#id).finally(() => (this.#opening = false));
      return opening.then(({ listeners, dealer }) => {
        [this.#sockets, this.#dealer, this.#listening] = [listeners, dealer, true];
        return this.start();
      });
    }
    this.#systemd.started();
    this.generation++;
    this.signalReceived = '';
    this.#policy.generationBegun();
    this.#heldReload.begin();
    return new Promise<true>((resolve, reject) => {
      this.#starting = { resolve, reject, keepAlive: setTimeout(() => {}, KEEP_ALIVE_MS) };
      this.#fill();
    });
  }

  /** Children counted towards maxWorkers and ready (docs/servers.md, "Recycling without a gap"). */
  readyCount(): number {
    return [...this.children.values()].filter(({ state }) => state.counted && state.phase === 'ready').length;
  }

  get numWorkers(): number {
    return this.children.size;
  }

  /** Acts as if the trapped signal `name` had arrived: ends the running start(), or signals the children during waitAllChildren(). */
  stop(name: SignalName): void {
    this.#onSignal(name);
  }

  /** Resolves 0 once every child is reaped and every onChildReap settled (waiters.ts); with a timeout, what is left then. */
  waitAllChildren(timeoutMs?: number): Promise<number> {
    return this.#waiters.wait(timeoutMs);
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

  // ---- the prefork loop ----

  /** The loop: asks the policy and executes its answer until it says wait or steady (or a spawn fails). */
  #fill(): void {
    clearTimeout(this.#spawnTimer);
    this.#spawnTimer = undefined;
    while (this.#execute(this.#policy.decide(this.#pool()))) {
      /* asks again: a spawn or a retirement changed the pool */
    }
  }

  /** What the policy sees: the pool now, children oldest first (a Map keeps insertion order). */
  #pool(): PoolState {
    return {
      now: Date.now(),
      running: this.running,
      generation: this.generation,
      maxWorkers: this.#maxWorkers,
      children: Array.from(this.children.values(), (child) => child.state),
    };
  }

  /**
   * Carries out the policy's answer; true when the pool changed and the policy
   * should be asked again. A spawn spawns one child (the policy paces the
   * rest); a retirement retires a reused child between lifetimes and tells any
   * other one to stop with TERM's mapping, releasing its slot.
   */
  #execute(action: SizingAction): boolean {
    switch (action.kind) {
      case 'spawn':
        this.#policy.spawned(Date.now());
        return this.#spawnOne(action.slot);
      case 'wait':
        this.#spawnTimer = setTimeout(() => this.#fill(), Math.min(Math.max(0, action.until - Date.now()), MAX_TIMER_MS));
        return false;
      case 'retire':
        for (const pid of action.pids) {
          const child = this.children.get(pid);
          if (child) this.#retire(child, action.reason);
        }
        return action.pids.length > 0;
      case 'reload-step':
        for (const pid of action.pids) {
          const child = this.children.get(pid);
          if (!child) continue;
          this.#signals.tell(child, action.signal, false);
          child.slotReleased = true; // its replacement is ready and holds its slot
        }
        return action.pids.length > 0;
      case 'steady':
        return false;
    }
  }

  #retire(child: ChildHandle, reason: RetireReason): void {
    if (observed('retire')) publish('retire', { pid: child.pid, generation: child.generation, reason, manager: this.#id, at: Date.now() });
    if (this.#reuse && child.currentLifetime && !child.currentLifetime.finished && reason === 'idle') {
      // Never mid-lifetime: its slot is free now, and its finish() gets `retire` instead of a next lifetime.
      child.slotReleased = true;
      return;
    }
    if (child.state.betweenLifetimes) {
      this.#dealer?.withdraw(child.pid);
      child.retire(reason);
      return;
    }
    child.slotReleased = true;
    this.#signals.stop(child, false);
  }

  #beforeFork(slot: number): { workerData: unknown } | undefined {
    return this.#hooks.beforeFork(() => this.#starting !== undefined, { slot });
  }

  /** A lifetime was handed over: its event, its timeout, afterFork; false when afterFork threw. */
  #lifetimeBegun(child: ChildHandle): boolean {
    const { pid, generation, lifetimesBegun, currentLifetime: lifetime } = child;
    if (observed('lifetime')) publish('lifetime', { pid, generation, lifetime: lifetimesBegun, manager: this.#id, at: Date.now() });
    const { lifetimeTimeout } = this.options;
    if (lifetimeTimeout !== undefined && lifetime) {
      lifetime.later(lifetimeTimeout, () => child.abortLifetime('timeout', true, this.options.gracePeriod));
    }
    return this.#hooks.afterFork(pid, { slot: child.slot });
  }

  /**
   * A reused child finished a lifetime and is not retired: its next one, with
   * the hooks around it as around a spawn. Handed over now rather than when its
   * start() asks: the acknowledgement and the next lifetime leave in one write,
   * and the child's start() resolves without a round trip of its own.
   */
  #nextLifetime(child: ChildHandle): void {
    const begin = this.#beforeFork(child.slot);
    if (!begin) return this.#retire(child, 'stopping');
    try {
      child.beginLifetime(begin.workerData, this.#maxWorkers);
    } catch (err) {
      this.#retire(child, 'stopping');
      this.#fail(err);
      return;
    }
    this.#lifetimeBegun(child);
  }

  /** Spawns one child; false when spawning failed or a hook threw, so the loop stops for now. */
  #spawnOne(slotHint?: number): boolean {
    const slot = this.#policy.slotFor(this.#pool(), slotHint);
    const begin = this.#beforeFork(slot);
    if (!begin) return false;
    const spawned = spawnProcess({
      exec: this.options.exec,
      listeners: this.#sockets,
      roundRobin: this.#dealer !== undefined,
      slot,
      stdout: this.options.childStdout,
      inspectOnSignal: this.#hangs !== undefined,
      extraEnv: this.#systemd.childEnv,
    });
    if (!spawned) {
      const pause = this.#policy.spawnFailed(Date.now());
      this.#spawnTimer = setTimeout(() => this.#fill(), Math.min(pause, MAX_TIMER_MS));
      return false;
    }
    const child = new ChildHandle(spawned.process, this.generation, this, this.#policy.limitForNewChild(), slot);
    child.inspectPort = spawned.inspectPort;
    spawned.process.once('exit', guardChild(child));
    this.#hangs?.watch(child);
    this.children.set(child.pid, child);
    this.#failures.spawned(child.pid);
    this.#policy.childSpawned(child.pid, Date.now());
    this.#dealer?.attach(child.pid, spawned.process);
    if (observed('spawn')) publish('spawn', { pid: child.pid, generation: child.generation, slot, manager: this.#id, at: Date.now() });
    try {
      const listeners = this.#sockets.map((listener) => listener.info);
      const pool = { maxWorkers: this.#maxWorkers, reuse: this.#reuse, listeners, roundRobin: this.#dealer !== undefined };
      child.hello(this.generation, begin.workerData, helloExtras(this.options, pool));
    } catch (err) {
      child.kill('SIGKILL');
      this.#fail(err);
      return false;
    }
    return this.#lifetimeBegun(child);
  }

  // ---- the reaps, and the rest of what a ChildHandle needs from us (ChildHandleHost) ----

  get eventId(): number {
    return this.#id;
  }

  get scoreboard(): Scoreboard {
    return this.observe.scoreboard;
  }

  builtinCall(name: string): Promise<CallOutcome> | undefined {
    return this.observe.builtinCall(name);
  }

  runCallback(name: string, pid: number, payload: unknown): Promise<CallOutcome> {
    return this.#callbacks.handle(name, pid, payload);
  }

  childBeat(child: ChildHandle, stateChanged: boolean): void {
    this.#hangs?.beat(child.pid);
    // A child turned busy or idle: the policy may size the pool by it (spare workers).
    if (stateChanged && this.running) this.#fill();
  }

  /** A child said it is ready: its clock stops, and the policy is asked again (a reload's or a recycle's next step; systemd's READY=1 listens too). */
  childReady(child: ChildHandle): void {
    this.#failures.settled(child.pid);
    if (observed('ready')) publish('ready', { pid: child.pid, generation: child.generation, slot: child.slot, manager: this.#id, at: child.readyAt ?? Date.now() });
    this.#policy.childReady();
    this.#fill();
  }

  childEnded(child: ChildHandle, status: number, end: ProcessEnd): void {
    this.children.delete(child.pid);
    this.#hangs?.forget(child.pid);
    this.#failures.settled(child.pid);
    this.#policy.childGone(child.pid);
    this.#dealer?.detach(child.pid);
    const lifetime = child.currentLifetime;
    // A retired child (or one between lifetimes) ended no lifetime: nothing to reap, only a place to fill.
    if (lifetime) {
      // Only inside start(): children ended by the signal that ended start() are no crash,
      // nor are those the manager told to stop (a retirement, a rolling forward).
      if (this.running && child.generation === this.generation && child.stopSent === undefined) this.#failures.ended(child, lifetime, status, end);
      this.#reap(child, lifetime, status, end);
    }
    if (observed('exit')) publish('exit', { pid: child.pid, generation: child.generation, code: end.code, signal: end.signal, manager: this.#id, at: Date.now() });
    this.#reloads.childGone(this.children.values());
    this.#fill();
    this.#waiters.check();
  }

  lifetimeFinished(child: ChildHandle, lifetime: Lifetime, rss: number | undefined): void {
    this.#policy.lifetimeEnded(Date.now(), { status: lifetime.code, finished: true, exited: false });
    this.#failures.finished(child, lifetime);
    this.#reap(child, lifetime, lifetime.code, undefined);
    const reason = this.#policy.afterLifetime(this.#pool(), child.state, rss);
    if (reason) {
      this.#execute({ kind: 'retire', pids: [child.pid], reason });
      this.#fill();
    } else this.#nextLifetime(child);
    this.#waiters.check();
  }

  /** A serve() child near its maxRequests asks for its replacement (recycling.ts). */
  replaceRequested(child: ChildHandle, reason: 'requests'): void {
    this.#policy.recycler.due(child.pid, reason);
  }

  /** onChildReap for one lifetime; `end` is undefined when a reused child's lifetime ended with finish(). */
  #reap(child: ChildHandle, lifetime: Lifetime, status: number, end: ProcessEnd | undefined): void {
    const info = reapInfo(lifetime, end, child.notReady);
    info.slot = child.slot;
    this.observe.scoreboard.reaped(info.reason);
    if (observed('reap')) publish('reap', { pid: child.pid, generation: child.generation, status, info: { ...info }, manager: this.#id, at: Date.now() });
    if (!this.#hooks.reaps) return;
    this.#hooks.onChildReap(child.pid, status, lifetime.hasPayload ? lifetime.payload : undefined, info);
  }

  // ---- signals ----

  #onSignal(name: SignalName): void {
    const action = this.options.trapSignals.get(name);
    if (action && 'resize' in action) return this.#resize(action.resize);
    this.signalReceived = name;
    if (this.running) this.#interrupt(name);
    else if (this.#waiters.size > 0) {
      this.#heldReload.flush();
      this.#signals.forward(name);
    }
  }

  #interrupt(name: SignalName): void {
    const starting = this.#starting;
    if (!starting) return;
    this.#starting = undefined;
    clearTimeout(this.#spawnTimer);
    if (STOP_SIGNALS.has(name) && observed('stop')) publish('stop', { signal: name, generation: this.generation, manager: this.#id, at: Date.now() });
    if (this.#heldReload.isGated(name)) {
      // The old children keep serving until the next start()'s are ready; a reload in progress is replaced.
      this.#policy.reloadEnded();
      this.#heldReload.hold(name);
      this.#reloads.begin(this.generation, this.children.values());
    } else {
      this.#policy.reloadEnded();
      this.#signals.forward(name, true);
    }
    clearTimeout(starting.keepAlive);
    starting.resolve(true);
  }

  /** Stops the children over maxWorkers, oldest first (as gunicorn's TTOU; the policy picks), with gracePeriod. */
  #shrink(): void {
    this.#execute(this.#policy.shrink(this.#pool()));
  }

  /** A `'addWorker'` / `'removeWorker'` action (TTIN / TTOU): one child more or fewer; start() goes on. */
  #resize(by: 1 | -1): void {
    this.#maxWorkers = Math.max(0, this.#maxWorkers + by);
    this.#shrink();
    this.#fill();
  }

  // ---- errors from user hooks ----

  /** A user hook threw: the promise the user is awaiting rejects with it, as a die would leave Perl's start(). */
  #fail(error: unknown): void {
    const starting = this.#starting;
    if (starting) {
      this.#starting = undefined;
      this.#policy.reloadEnded();
      clearTimeout(this.#spawnTimer);
      clearTimeout(starting.keepAlive);
      starting.reject(error);
      return;
    }
    if (this.#waiters.rejectOne(error)) return;
    process.nextTick(() => {
      throw error;
    });
  }
}
