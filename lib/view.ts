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
 * One of the manager's listening sockets (the `listen` option). In a child,
 * `fd` is the child's copy: pass the whole object to `server.listen()`. In the
 * manager there is no `fd`; the object only says where it listens (with the
 * real port when port 0 was asked for).
 */
export interface Listener {
  /** `'127.0.0.1:8080'`, `'[::1]:8080'`, `'/run/app.sock'`, or `'fd 3 (systemd)'` when it cannot be told. */
  readonly address: string;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /** The `backlog` asked for in the `listen` option; `ppi.serve()` passes it to listen(). */
  readonly backlog?: number;
  /** Child only: the descriptor this child holds the socket on (5, 6, …). */
  readonly fd?: number;
}

/** Options of `ppi.serve(server, options)`. */
export interface ServeOptions {
  /** Which of `ppi.listeners` to listen on. Default 0. */
  listener?: number;
  /** The signal that starts the graceful stop. Default `'TERM'`. */
  signal?: string;
  /**
   * After the stop, a keep-alive connection with no request in progress is
   * closed once it has been idle this long (a request arriving meanwhile is
   * answered with `Connection: close`). Default 250 ms.
   */
  idleCloseMs?: number;
  /**
   * A keep-alive connection's response number n is sent with `Connection: close`, so the
   * client connects again and the kernel hands the new connection to a free child: this evens
   * out the requests per child, at the price of a new connection per n requests. Default 0: never.
   */
  maxRequestsPerConnection?: number;
  /** Called once the last connection has closed; its result is the final payload of `finish()`. */
  finalPayload?: () => unknown;
}

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
  /** The listening sockets of the `listen` option: handles for `server.listen()` in a child, addresses in the manager. */
  readonly listeners: readonly Listener[];
}
