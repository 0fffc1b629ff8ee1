import { NEVER_ABORTED } from './child/lifetime';
import { ChildRuntime } from './child/runtime';
import type { Manager } from './manager/manager';
import { resolveOptions, type PreforkOptions } from './options';
import { CHILD_MARKER, takeChildRole } from './role';
import { normalizeSignal } from './signals';
import type { Server } from 'node:net';
import type { CallbackMap, FinishResult, Listener, MessageListener, MetricsRegistry, PayloadArgs, PoolStatus, PreforkView, ResultOf, ServedInfo, ServeOptions } from './view';
import type { RequestHandler } from './status-page';
import { METRICS_CALL, STATUS_CALL } from './protocol/messages';

/**
 * Calling a member in the wrong role is answered one way everywhere: a
 * synchronous member throws, a member that returns a promise rejects.
 */
function managerOnly(member: string): Error {
  return new Error(`PreforkIPC.${member} is for the manager; this is a child process`);
}

function childOnly(member: string): Error {
  return new Error(`PreforkIPC.${member} is for child processes; this is the manager (did start() resolve true?)`);
}

function signalArgument(member: string, signal: unknown): string {
  const name = normalizeSignal(signal);
  if (!name) throw new TypeError(`${member}(signal): ${JSON.stringify(signal)} is not a signal`);
  return name;
}

/**
 * A prefork process manager whose children call back into it.
 *
 * The same script runs as the manager and, re-executed, as each child:
 * `if (await ppi.start()) continue;` separates the two. Everything before
 * `start()` runs in both; test `ppi.isChild` to skip manager-only set-up.
 */
export class PreforkIPC<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown, Lifetimes extends number = 1>
  implements PreforkView<C, Final, Data, Lifetimes>
{
  readonly #manager: Manager | undefined;
  readonly #child: ChildRuntime | undefined;

  constructor(options: PreforkOptions<C, Final, Data, Lifetimes> = {}) {
    const resolved = resolveOptions(options);
    const self = this as unknown as PreforkView;
    if (takeChildRole()) {
      this.#child = new ChildRuntime(self, resolved.maxMessageBytes, resolved.onManagerExit, resolved.maxWorkers, CHILD_MARKER);
    } else {
      // Loaded here, not at the top: a child never needs the manager's modules
      // (node:child_process, worker_threads, signal-exit…), and loading them
      // cost every child ≈ 15 ms of CPU at start-up (bench/: spawn rate).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, in the manager only (see above)
      const { Manager: ManagerClass } = require('./manager/manager') as typeof import('./manager/manager');
      this.#manager = new ManagerClass(self, resolved);
    }
  }

  /** True in a child process, false in the manager. Known from construction on. */
  get isChild(): boolean {
    return this.#child !== undefined;
  }

  /**
   * Manager: spawns children and keeps `maxWorkers` alive until a trapped
   * signal (or `stop()`) arrives, forwards the mapped signal, and resolves `true`.
   * Child: resolves `false` once the channel to the manager is up; with `fn`,
   * runs it and then `finish()`es.
   */
  start(fn?: () => unknown): Promise<boolean> {
    if (this.#child) return this.#child.start(fn);
    return this.#manager!.start();
  }

  /** Child: runs the manager's handler `name` with `payload` and resolves with its result. */
  callback<K extends keyof C & string>(name: K, ...payload: PayloadArgs<C[K]>): Promise<ResultOf<C[K]>> {
    if (!this.#child) return Promise.reject(childOnly('callback()'));
    return this.#child.callback(name, payload[0]) as Promise<ResultOf<C[K]>>;
  }

  /**
   * Child: hands `finalPayload` to the manager's `onChildReap` and waits until the
   * manager has it. Then, by default, flushes stdout and stderr and exits with
   * `exitCode` (never resolves); with `lifetimesPerChild` > 1 it resolves, and the
   * loop goes round to `start()` for the next lifetime. Rejects when the payload
   * cannot be sent.
   */
  finish(exitCode = 0, finalPayload?: Final): Promise<FinishResult<Lifetimes>> {
    if (!this.#child) return Promise.reject(childOnly('finish()'));
    // Typed from the option; at run time the manager's hello decides (see FinishResult).
    return this.#child.finish(exitCode, finalPayload) as Promise<FinishResult<Lifetimes>>;
  }

  /**
   * Child: listens on `ppi.listeners[0]` (or `options.listener`) with `server`
   * (an `http`, `https` or `net` server) and resolves once it listens. On the
   * forwarded TERM it stops accepting, answers the requests in progress,
   * closes keep-alive connections once idle, and `finish()`es. Installs a
   * handler for that signal: opt-in. See docs/servers.md.
   */
  serve(server: Server, options?: ServeOptions<Final>): Promise<void> {
    if (!this.#child) return Promise.reject(childOnly('serve()'));
    const child = this.#child;
    // Loaded on first use: a child that does not serve never pays for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, in a serving child only
    const { serve } = require('./child/serve') as typeof import('./child/serve');
    const host = {
      ready: child.ready,
      get listeners() {
        return child.listeners;
      },
      get roundRobin() {
        return child.roundRobin;
      },
      finish: (code: number, payload: unknown, served: ServedInfo) => child.finish(code, payload, served),
      serving: (ended: Promise<void>) => child.servingUntil(ended),
      askReplacement: (reason: 'requests') => child.askReplacement(reason),
      beat: child.beat,
      markReady: () => void child.signalReady(),
    };
    return serve(server, host, options);
  }

  /**
   * Child: tells the manager this child is ready to work (docs/servers.md, "Readiness"): after
   * connecting to a database, warming a cache, listening on its own. Until then a reload does
   * not stop the child it replaces, and after `readyTimeout` the child is stopped (`'not-ready'`).
   * `serve()` calls it once it listens. Resolves once the message is queued; calling it again does nothing.
   */
  ready(): Promise<void> {
    if (!this.#child) return Promise.reject(childOnly('ready()'));
    return this.#child.signalReady();
  }

  /**
   * Child: this child's slot, a whole number from 0 to maxWorkers − 1 that its replacement
   * (respawn, recycle, reload step) inherits (also `PREFORK_SLOT` in its environment); undefined
   * in the manager and before the hello.
   */
  get slot(): number | undefined {
    return this.#child?.slot;
  }

  /**
   * Manager: waits until every child is reaped and its `onChildReap` settled, or `timeoutMs` passes.
   * Resolves with what is not done: children still running plus `onChildReap` promises pending (0 when all is done).
   */
  waitAllChildren(timeoutMs?: number): Promise<number> {
    if (!this.#manager) return Promise.reject(managerOnly('waitAllChildren()'));
    return this.#manager.waitAllChildren(timeoutMs);
  }

  /** Manager: sends `signal` (`'TERM'` or `'SIGTERM'`) to every child. Returns how many it reached. */
  signalAllChildren(signal: string): number {
    const name = signalArgument('signalAllChildren', signal);
    if (!this.#manager) throw managerOnly('signalAllChildren()');
    return this.#manager.signalAllChildren(name);
  }

  /** Manager: acts as if the trapped signal `signal` had arrived: ends the running `start()`. */
  stop(signal = 'TERM'): void {
    const name = signalArgument('stop', signal);
    if (!this.#manager) throw managerOnly('stop()');
    this.#manager.stop(name);
  }

  /** The last trapped signal, without `SIG` (`'TERM'`, `'HUP'`…); `''` before any, and after `start()` begins. */
  get signalReceived(): string {
    return this.#manager?.signalReceived ?? '';
  }

  /** Children alive now, of every generation (0 in a child). */
  get numWorkers(): number {
    return this.#manager?.children.size ?? 0;
  }

  /**
   * How many children the manager keeps alive; may be changed at run time. In a
   * child, the manager's value when it handed over this lifetime, as Perl's
   * `$pm->max_workers` reads in a forked child.
   */
  get maxWorkers(): number {
    return this.#manager ? this.#manager.maxWorkers : this.#child!.maxWorkers;
  }

  set maxWorkers(value: number) {
    if (!this.#manager) throw managerOnly('maxWorkers (setter)');
    this.#manager.maxWorkers = value;
  }

  /** The manager's pid, in the manager and in its children. */
  get managerPid(): number {
    return this.#child ? this.#child.managerPid : process.pid;
  }

  /** Incremented by each manager `start()`; a child has the generation it was spawned in. */
  get generation(): number {
    return this.#child ? this.#child.generation : this.#manager!.generation;
  }

  /** Child: what `beforeFork` returned for this child (undefined in the manager). */
  get workerData(): Data | undefined {
    return this.#child?.workerData as Data | undefined;
  }

  /** Manager: the pids of the children alive now. */
  get workerPids(): number[] {
    return this.#manager ? [...this.#manager.children.keys()] : [];
  }

  /**
   * The sockets of the `listen` option. Child: handles for `server.listen()`
   * (known once `start()` resolved). Manager: where each listens, with the real
   * port (known from the first `start()` on, before the first spawn).
   */
  get listeners(): readonly Listener[] {
    return this.#child ? this.#child.listeners : this.#manager!.listeners;
  }

  /** Child: how many lifetimes this process has begun (1, 2, …); 0 before the first, and in the manager. */
  get lifetime(): number {
    return this.#child?.lifetime ?? 0;
  }

  /**
   * Child: aborts when the manager cancels this lifetime (`cancel()`) or it runs past
   * `lifetimeTimeout`; a fresh signal per lifetime. In the manager, a signal that never aborts.
   */
  get abortSignal(): AbortSignal {
    return this.#child ? this.#child.abortSignal : NEVER_ABORTED;
  }

  /**
   * Manager: aborts child `pid`'s current lifetime (its `abortSignal`, with an `AbortError`
   * naming `reason`), and SIGKILLs it if that lifetime has not finished `gracePeriod` ms later.
   * Returns false when there is no such child or no lifetime to abort.
   */
  cancel(pid: number, reason = 'cancel()'): boolean {
    if (!this.#manager) throw managerOnly('cancel()');
    if (typeof reason !== 'string') throw new TypeError(`cancel(pid, reason): reason must be a string, got ${typeof reason}`);
    return this.#manager.cancel(pid, reason);
  }

  /**
   * Manager: sends `message` (any JSON value) to child `pid`, for its `on('message')`
   * listeners. Returns false when that child is gone; throws a TypeError for a value JSON cannot carry.
   */
  send(pid: number, message: unknown): boolean {
    if (!this.#manager) throw managerOnly('send()');
    try {
      return this.#manager.send(pid, message);
    } catch (err) {
      throw new TypeError(`send(pid, message): ${(err as Error).message}`);
    }
  }

  /**
   * Child: `listener(message)` runs for each message the manager `send()`s to this process
   * (register it before `await start()`; messages arriving with no listener are dropped).
   * In the manager it is accepted and never called, as `process.on('message')` in a process without IPC.
   */
  on(event: 'message', listener: MessageListener): this {
    checkListener('on', event, listener);
    this.#child?.on(listener);
    return this;
  }

  /**
   * Child: this child's coarse state for the scoreboard (`'idle'`, `'busy'`, or a short word of
   * your own) and a note (a job id, a request line). Cheap enough per job: a message goes to the
   * manager only when the state flips, at most one per 100 ms. `serve()` keeps it by itself.
   * In the manager it does nothing.
   */
  setStatus(state: string, note?: string): void {
    this.#child?.setStatus(state, note);
  }

  /**
   * Manager: the pool as the scoreboard has it: each child's phase, state, note, counters,
   * event-loop utilisation and memory (from its last beat). Answered from memory, no child asked.
   */
  status(): PoolStatus {
    if (!this.#manager) throw managerOnly('status()');
    return this.#manager.observe.status();
  }

  /**
   * Manager: the Prometheus text exposition (`text/plain; version=0.0.4`) of the pool's metrics
   * and, summed over the children (those gone included), the metrics they export.
   */
  metrics(): Promise<string> {
    if (!this.#manager) return Promise.reject(managerOnly('metrics()'));
    return this.#manager.observe.metrics();
  }

  /**
   * Ships `registry`'s metrics (default: prom-client's global registry) with every beat, so that
   * the manager's `metrics()` serves their sum over the children. In the manager, `registry` is
   * added to that sum. Needs the package prom-client.
   */
  exportMetrics(registry?: MetricsRegistry): this {
    let source = registry;
    if (source === undefined) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer dependency, loaded only when asked for
        source = (require('prom-client') as { register: MetricsRegistry }).register;
      } catch (err) {
        throw new Error(`exportMetrics(): without a registry it uses prom-client's global one, and prom-client cannot be loaded (npm install prom-client): ${(err as Error).message}`);
      }
    }
    if (typeof source?.getMetricsAsJSON !== 'function') throw new TypeError('exportMetrics(registry): registry must be a prom-client Registry (with getMetricsAsJSON())');
    if (this.#child) this.#child.exportMetrics(source);
    else this.#manager!.observe.exportMetrics(source);
    return this;
  }

  /**
   * A request handler showing the pool's scoreboard: a text page, `?json`, or Apache's `?auto`.
   * Mount it on a server in a child (it asks the manager) or on a server in the manager.
   */
  statusHandler(): RequestHandler {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
    const { statusHandler } = require('./status-page') as typeof import('./status-page');
    return statusHandler(() => (this.#child ? (this.#child.callback(STATUS_CALL, undefined) as Promise<PoolStatus>) : Promise.resolve(this.status())));
  }

  /** A request handler answering with `metrics()` (a ready `/metrics`), in a child (it asks the manager) or in the manager. */
  metricsHandler(): RequestHandler {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
    const { metricsHandler } = require('./status-page') as typeof import('./status-page');
    return metricsHandler(() => (this.#child ? (this.#child.callback(METRICS_CALL, undefined) as Promise<string>) : this.metrics()));
  }

  /** Removes a listener added with `on('message', listener)`. */
  off(event: 'message', listener: MessageListener): this {
    checkListener('off', event, listener);
    this.#child?.off(listener);
    return this;
  }
}

function checkListener(member: string, event: unknown, listener: unknown): void {
  if (event !== 'message') throw new TypeError(`${member}(event, listener): the only event is 'message', got ${JSON.stringify(event)}`);
  if (typeof listener !== 'function') throw new TypeError(`${member}(event, listener): listener must be a function`);
}
