import { ChildRuntime } from './child/runtime';
import type { Manager } from './manager/manager';
import { resolveOptions, type PreforkOptions } from './options';
import { CHILD_MARKER, takeChildRole } from './role';
import { normalizeSignal } from './signals';
import type { Server } from 'node:net';
import type { CallbackMap, Listener, PayloadArgs, PreforkView, ResultOf, ServeOptions } from './view';

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
export class PreforkIPC<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown> implements PreforkView<C, Final, Data> {
  readonly #manager: Manager | undefined;
  readonly #child: ChildRuntime | undefined;

  constructor(options: PreforkOptions<C, Final, Data> = {}) {
    const resolved = resolveOptions(options);
    const self = this as unknown as PreforkView;
    if (takeChildRole()) {
      this.#child = new ChildRuntime(self, resolved.maxMessageBytes, resolved.onManagerExit, CHILD_MARKER);
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
   * Child: hands `finalPayload` to the manager's `onChildReap`, waits until the
   * manager has it, flushes stdout and stderr, and exits with `exitCode`.
   * Never resolves; rejects when the payload cannot be sent.
   */
  finish(exitCode = 0, finalPayload?: Final): Promise<never> {
    if (!this.#child) return Promise.reject(childOnly('finish()'));
    return this.#child.finish(exitCode, finalPayload);
  }

  /**
   * Child: listens on `ppi.listeners[0]` (or `options.listener`) with `server`
   * (an `http`, `https` or `net` server) and resolves once it listens. On the
   * forwarded TERM it stops accepting, answers the requests in progress,
   * closes keep-alive connections once idle, and `finish()`es. Installs a
   * handler for that signal: opt-in. See docs/servers.md.
   */
  serve(server: Server, options?: ServeOptions): Promise<void> {
    if (!this.#child) return Promise.reject(childOnly('serve()'));
    const child = this.#child;
    // Loaded on first use: a child that does not serve never pays for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, in a serving child only
    const { serve } = require('./child/serve') as typeof import('./child/serve');
    return serve(server, { ready: child.ready, get listeners() { return child.listeners; }, finish: (code, payload) => child.finish(code, payload) }, options);
  }

  /** Manager: waits until every child is reaped, or `timeoutMs` passes. Resolves with the number still running. */
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

  /** How many children the manager keeps alive; may be changed at run time. */
  get maxWorkers(): number {
    return this.#manager?.maxWorkers ?? 0;
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
}
