import { Child } from './child/child';
import { CHILD_MARKER } from './child-marker';
import type { Manager } from './manager/manager';
import { resolveOptions, type CallbackMap, type PreforkOptions } from './options';
import { normalizeSignal } from './signals';

/** The payload a handler takes, from its third parameter. */
export type PayloadOf<H> = H extends (ppi: never, pid: never, payload: infer P) => unknown ? P : unknown;
/** What a child's `callback()` resolves with: the handler's result, awaited. */
export type ResultOf<H> = H extends (...args: never[]) => infer R ? Awaited<R> : unknown;

/** Set on `process` (not in module scope) so that two copies of this module agree on it. */
const ROLE = Symbol.for('parallel-prefork-ipc.role');
type ProcessWithRole = NodeJS.Process & { [ROLE]?: 'child' | 'child-taken' };

function takeChildRole(): boolean {
  const proc = process as ProcessWithRole;
  if (proc[ROLE] === undefined) {
    proc[ROLE] = process.env[CHILD_MARKER] === undefined ? undefined : 'child';
    // The child's own subprocesses must not think they are workers too.
    delete process.env[CHILD_MARKER];
  }
  if (proc[ROLE] === 'child-taken') {
    throw new Error('A PreforkIPC child process can create only one PreforkIPC object: the pipes to its manager belong to the first.');
  }
  if (proc[ROLE] === 'child') {
    proc[ROLE] = 'child-taken';
    return true;
  }
  return false;
}

function managerOnly(method: string): Error {
  return new Error(`PreforkIPC.${method}() is for the manager; this is a child process`);
}

function childOnly(method: string): Error {
  return new Error(`PreforkIPC.${method}() is for child processes; this is the manager (did start() resolve true?)`);
}

/**
 * A prefork process manager whose children call back into it.
 *
 * The same script runs as the manager and, re-executed, as each child:
 * `if (await ppi.start()) continue;` separates the two. Everything before
 * `start()` runs in both; test `ppi.isChild` to skip manager-only set-up.
 */
export class PreforkIPC<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown> {
  readonly #manager: Manager | undefined;
  readonly #child: Child | undefined;

  constructor(options: PreforkOptions<C, Final, Data> = {}) {
    const resolved = resolveOptions(options);
    const self = this as unknown as PreforkIPC;
    if (takeChildRole()) {
      this.#child = new Child(self, resolved.maxMessageBytes, resolved.onManagerExit, CHILD_MARKER);
    } else {
      // Loaded here, not at the top: a child never needs the manager's modules
      // (node:child_process, worker_threads, signal-exit…), and loading them
      // cost every child ≈ 15 ms of CPU at start-up (bench/: spawn rate).
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
    if (!this.#child) return Promise.reject(childOnly('callback'));
    return this.#child.callback(name, payload[0]) as Promise<ResultOf<C[K]>>;
  }

  /**
   * Child: hands `finalPayload` to the manager's `onChildReap`, waits until the
   * manager has it, flushes stdout and stderr, and exits with `exitCode`.
   * Never resolves; rejects when the payload cannot be sent.
   */
  finish(exitCode = 0, finalPayload?: Final): Promise<never> {
    if (!this.#child) return Promise.reject(childOnly('finish'));
    return this.#child.finish(exitCode, finalPayload);
  }

  /** Manager: waits until every child is reaped, or `timeoutMs` passes. Resolves with the number still running. */
  waitAllChildren(timeoutMs?: number): Promise<number> {
    if (this.#child) return Promise.resolve(0);
    return this.#manager!.waitAllChildren(timeoutMs);
  }

  /** Manager: sends `signal` (`'TERM'` or `'SIGTERM'`) to every child. Returns how many it reached. */
  signalAllChildren(signal: string): number {
    const name = normalizeSignal(signal);
    if (!name) throw new TypeError(`signalAllChildren(signal): ${JSON.stringify(signal)} is not a signal`);
    if (this.#child) return 0;
    return this.#manager!.signalAllChildren(name);
  }

  /** Manager: acts as if the trapped signal `signal` had arrived: ends the running `start()`. */
  stop(signal = 'TERM'): void {
    const name = normalizeSignal(signal);
    if (!name) throw new TypeError(`stop(signal): ${JSON.stringify(signal)} is not a signal`);
    if (this.#child) throw managerOnly('stop');
    this.#manager!.stop(name);
  }

  /** The last trapped signal, without `SIG` (`'TERM'`, `'HUP'`…); `''` before any, and after `start()` begins. */
  get signalReceived(): string {
    return this.#manager?.signalReceived ?? '';
  }

  /** Children alive now, of every generation (0 in a child). */
  get numWorkers(): number {
    return this.#manager?.workers.size ?? 0;
  }

  /** How many children the manager keeps alive; may be changed at run time. */
  get maxWorkers(): number {
    return this.#manager?.maxWorkers ?? 0;
  }

  set maxWorkers(value: number) {
    if (this.#child) throw managerOnly('maxWorkers (setter)');
    this.#manager!.maxWorkers = value;
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
    return this.#manager ? [...this.#manager.workers.keys()] : [];
  }
}

/** `callback(name)` may leave the payload out when the handler takes none. */
export type PayloadArgs<H> = unknown extends PayloadOf<H> ? [payload?: unknown] : undefined extends PayloadOf<H> ? [payload?: PayloadOf<H>] : [payload: PayloadOf<H>];
