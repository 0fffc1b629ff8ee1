/**
 * What a hook or a callback handler receives as its `ppi` argument, and the
 * types that describe callbacks. A leaf module (it imports nothing): options,
 * the manager and the child runtime all type `ppi` with it, so none of them
 * needs the facade in prefork-ipc.ts, which imports them.
 */

/**
 * A callback served by the manager: `(ppi, pid, payload) => result`. The result
 * may be a promise. Written as a method signature (the "bivariance hack") so
 * that a handler may annotate `payload` with the shape it expects.
 */
export type CallbackHandler = { handler(ppi: PreforkView, pid: number, payload: unknown): unknown }['handler'];

/** The `callbacks` option: handler by name. */
export type CallbackMap = Record<string, CallbackHandler>;

/** The payload a handler takes, from its third parameter. */
export type PayloadOf<H> = H extends (ppi: never, pid: never, payload: infer P) => unknown ? P : unknown;

/** What a child's `callback()` resolves with: the handler's result, awaited. */
export type ResultOf<H> = H extends (...args: never[]) => infer R ? Awaited<R> : unknown;

/** `callback(name)` may leave the payload out when the handler takes none. */
export type PayloadArgs<H> = unknown extends PayloadOf<H>
  ? [payload?: unknown]
  : undefined extends PayloadOf<H>
    ? [payload?: PayloadOf<H>]
    : [payload: PayloadOf<H>];

/**
 * The members of a `PreforkIPC` object, generic in its callback map `C`, its
 * children's final payload `Final` and their `workerData` type `Data`. Hooks
 * receive the manager's object typed this way, so `ppi.workerData` is `Data`.
 */
export interface PreforkView<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown> {
  /** True in a child process, false in the manager. Known from construction on. */
  readonly isChild: boolean;
  /** Manager: runs the pool until a trapped signal; resolves `true`. Child: resolves `false` once connected. */
  start(fn?: () => unknown): Promise<boolean>;
  /** Child: runs the manager's handler `name` with `payload` and resolves with its result. */
  callback<K extends keyof C & string>(name: K, ...payload: PayloadArgs<C[K]>): Promise<ResultOf<C[K]>>;
  /** Child: hands `finalPayload` to the manager's `onChildReap`, then exits with `exitCode`. */
  finish(exitCode?: number, finalPayload?: Final): Promise<never>;
  /** Manager: waits until every child is reaped, or `timeoutMs` passes; resolves with the number still running. */
  waitAllChildren(timeoutMs?: number): Promise<number>;
  /** Manager: sends `signal` to every child; returns how many it reached. */
  signalAllChildren(signal: string): number;
  /** Manager: acts as if the trapped signal `signal` had arrived. */
  stop(signal?: string): void;
  /** The last trapped signal, without `SIG`; `''` before any, and after `start()` begins. */
  readonly signalReceived: string;
  /** Children alive now, of every generation (0 in a child). */
  readonly numWorkers: number;
  /** How many children the manager keeps alive; may be changed at run time in the manager. */
  maxWorkers: number;
  /** The manager's pid, in the manager and in its children. */
  readonly managerPid: number;
  /** Incremented by each manager `start()`; a child has the generation it was spawned in. */
  readonly generation: number;
  /** Child: what `beforeFork` returned for this child (undefined in the manager). */
  readonly workerData: Data | undefined;
  /** Manager: the pids of the children alive now. */
  readonly workerPids: number[];
}
