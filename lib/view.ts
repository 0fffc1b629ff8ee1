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
export type CallbackHandler = { handler(ppi: ManagerView, pid: number, payload: unknown): unknown }['handler'];

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
export interface ServeOptions<Final = unknown> {
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
  /**
   * The child serves this many requests, then ends as gracefully as on the stop signal
   * (Starlet's `max_reqs_per_child`, gunicorn's `max_requests`): it stops accepting in the same
   * tick the limit is in sight, lets each open connection send the one request it may still
   * send (answered with `Connection: close`), and `finish()`es with `ReapInfo.served.stop`
   * `'maxRequests'`. Needs an `http`/`https` server. Default 0: no limit.
   */
  maxRequests?: number;
  /**
   * Adds a random 0…`maxRequestsJitter` to `maxRequests`, drawn once per `serve()`, so children
   * started together do not all end together (gunicorn's `max_requests_jitter`; Starlet's
   * `min_reqs_per_child` m with `max_reqs_per_child` M is `maxRequests: m, maxRequestsJitter: M - m`).
   * Default 0.
   */
  maxRequestsJitter?: number;
  /** Called once the last connection has closed; its result (or what its promise resolves to) is the final payload of `finish()`. */
  finalPayload?: () => Final | PromiseLike<Final>;
}

/**
 * Why `serve()` ended a lifetime (`ReapInfo.served.stop`):
 * - `'signal'`: the stop signal (a reload, a shrink, a shutdown);
 * - `'maxRequests'`: it served `maxRequests` (+ jitter) requests;
 * - `'closed'`: the application closed the server itself.
 */
export type ServeStop = 'signal' | 'maxRequests' | 'closed';

/** `ReapInfo.served`: how a lifetime that `serve()` ended went. */
export interface ServedInfo {
  stop: ServeStop;
  /** Requests received (an upgrade counts as one). */
  requests: number;
}

/**
 * An error as it crossed the pipe: a child's uncaught exception in
 * `ReapInfo.error`, and a handler's error as the `cause` of a child's
 * `CallbackError`. `name`, `message` and `stack` always; `code` and the
 * error's other own properties when JSON can carry them.
 */
export interface ReportedError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  [property: string]: unknown;
}

/**
 * Why a lifetime ended (`ReapInfo.reason`):
 * - `'finished'`: the child called `finish()`;
 * - `'exited'`: the process exited without calling `finish()`;
 * - `'crashed'`: an uncaught exception or unhandled rejection (see `ReapInfo.error`);
 * - `'killed'`: a signal ended the process;
 * - `'timeout'`: it ran past `lifetimeTimeout` and did not finish within `gracePeriod` after its abort;
 * - `'overflow'`: it sent a line over `maxMessageBytes` and was killed;
 * - `'not-ready'`: it was not ready within `readyTimeout` and was stopped (docs/servers.md, "Readiness");
 * - `'hung'`: its beat stopped for `hangTimeout` (its event loop was stuck) and it was killed (see `ReapInfo.stack`).
 */
export type ReapReason = 'finished' | 'exited' | 'crashed' | 'killed' | 'timeout' | 'overflow' | 'not-ready' | 'hung';

/** One frame of a hung child's JavaScript stack, as its inspector reported it. */
export interface StackFrame {
  /** The function's name; `''` for top-level code or an anonymous function. */
  function: string;
  /** The script's URL or path (`file:///…` for ES modules, `node:…` for Node's own). */
  file: string;
  /** 1-based, as in an `Error`'s stack. */
  line: number;
  column: number;
}

/** What the manager could read of a hung child's stack before killing it (`ReapInfo.stack`). */
export interface HungStack {
  /** Innermost first; empty when no stack could be taken (then `note` says why). */
  frames: readonly StackFrame[];
  /** Why there are no frames: the child listens for SIGUSR1, its inspector port was taken, it is blocked in a native call… */
  note?: string;
  /** How long the capture took, in ms. */
  captureMs: number;
}

/** `onChildReap`'s fifth argument: why the lifetime ended. */
export interface ReapInfo {
  reason: ReapReason;
  /** The code given to `finish()`, or the process's exit code; null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the process (`'SIGKILL'`…), or null. */
  signal: string | null;
  /** Which of this process's lifetimes it was: 1, 2, … */
  lifetime: number;
  /** For `'crashed'`: the error, as the child reported it before it died. */
  error?: ReportedError;
  /** The child's slot (0 … maxWorkers − 1). */
  slot?: number;
  /** For `'hung'`: the JavaScript stack read just before the kill, or a note saying why none could be. */
  stack?: HungStack;
  /** When `ppi.serve()` ended the lifetime (with `finish()`): why, and how many requests it received. */
  served?: ServedInfo;
}

/** `onReloadFailed`'s `info`: why a gated reload was abandoned (docs/servers.md, "Rollback"). */
export interface ReloadFailedInfo {
  /** The generation that did not come up (the running `start()`'s). */
  generation: number;
  /** Failed steps (new children dead or not ready in time): `reloadAttempts`. */
  attempts: number;
  /** The last failed step: its child's pid and why it failed (`'not-ready'`, `'crashed'`, `'exited'`, `'killed'`). */
  pid: number;
  reason: ReapReason;
  /** Its exit status, when it exited (not for `'not-ready'`, decided while it still ran). */
  status?: number;
  /** Its uncaught exception, as the child reported it. */
  error?: ReportedError;
  /** One line for a log: what failed and why. */
  message: string;
}

/** What a child receives from `ppi.send(pid, message)`: any JSON value. */
export type MessageListener = (message: unknown) => void;

/**
 * What `finish()` resolves with, from the `lifetimesPerChild` option's type
 * `Lifetimes`: by default (1, or the option left out) the process exits and
 * the promise never settles, `never`; with another number, or `Infinity`
 * (typed `number`), it resolves, `void`.
 */
export type FinishResult<Lifetimes extends number> = [Lifetimes] extends [1] ? never : void;

/**
 * The members of a `PreforkIPC` object that work in the manager: the pool and
 * its children from outside. What hooks and callback handlers can use (they run
 * in the manager). Part of `PreforkView`.
 */
export interface ManagerView {
  /** True in a child process, false in the manager. Known from construction on. */
  readonly isChild: boolean;
  /** Manager: runs the pool until a trapped signal; resolves `true`. Child: resolves `false` once connected. */
  start(fn?: () => unknown): Promise<boolean>;
  /** Manager: waits until every child is reaped and its `onChildReap` settled, or `timeoutMs` passes; resolves with children still running plus `onChildReap` promises pending (0 when all is done). */
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
  /** Manager: the pids of the children alive now. */
  readonly workerPids: number[];
  /** The listening sockets of the `listen` option: handles for `server.listen()` in a child, addresses in the manager. */
  readonly listeners: readonly Listener[];
  /** Manager: aborts child `pid`'s current lifetime (its `abortSignal`), SIGKILL after `gracePeriod`. False when there is no such child. */
  cancel(pid: number, reason?: string): boolean;
  /** Manager: sends `message` (any JSON value) to child `pid`; false when that child is gone. */
  send(pid: number, message: unknown): boolean;
  /** Manager: the pool's scoreboard, from memory. */
  status(): PoolStatus;
  /** Manager: Prometheus text exposition of the pool's metrics and the children's exported ones. */
  metrics(): Promise<string>;
}

/**
 * The members of a `PreforkIPC` object that work in a child, generic in the
 * callback map `C`, the final payload `Final`, the `workerData` type `Data` and
 * the type of the `lifetimesPerChild` option `Lifetimes` (see `FinishResult`).
 * Part of `PreforkView`.
 */
export interface ChildView<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown, Lifetimes extends number = 1> {
  /** True in a child process, false in the manager. Known from construction on. */
  readonly isChild: boolean;
  /** Manager: runs the pool until a trapped signal; resolves `true`. Child: resolves `false` once connected. */
  start(fn?: () => unknown): Promise<boolean>;
  /** Child: runs the manager's handler `name` with `payload` and resolves with its result. */
  callback<K extends keyof C & string>(name: K, ...payload: PayloadArgs<C[K]>): Promise<ResultOf<C[K]>>;
  /**
   * Child: hands `finalPayload` to the manager's `onChildReap`; then exits with `exitCode`
   * (never resolves), or with `lifetimesPerChild` > 1 resolves so the loop can go round to `start()`.
   */
  finish(exitCode?: number, finalPayload?: Final): Promise<FinishResult<Lifetimes>>;
  /** Child: tells the manager this child is ready (serve() does it once it listens). See docs/servers.md, "Readiness". */
  ready(): Promise<void>;
  /** Child: its slot, 0 … maxWorkers − 1, inherited by its replacement; undefined in the manager. */
  readonly slot: number | undefined;
  /** How many children the manager keeps alive; may be changed at run time in the manager. */
  maxWorkers: number;
  /** The manager's pid, in the manager and in its children. */
  readonly managerPid: number;
  /** Incremented by each manager `start()`; a child has the generation it was spawned in. */
  readonly generation: number;
  /** Child: what `beforeFork` returned for this child (undefined in the manager). */
  readonly workerData: Data | undefined;
  /** The listening sockets of the `listen` option: handles for `server.listen()` in a child, addresses in the manager. */
  readonly listeners: readonly Listener[];
  /** Child: how many lifetimes this process has begun (1, 2, …); 0 before the first and in the manager. */
  readonly lifetime: number;
  /** Child: aborts when this lifetime is cancelled or runs past `lifetimeTimeout`; a fresh one per lifetime. */
  readonly abortSignal: AbortSignal;
  /** Child: `listener` gets each message the manager sends with `send()`. In the manager it never fires. */
  on(event: 'message', listener: MessageListener): this;
  /** Removes a listener added with `on()`. */
  off(event: 'message', listener: MessageListener): this;
  /** Child: this child's coarse state (`'idle'`, `'busy'`, …) and a note, for the scoreboard. */
  setStatus(state: string, note?: string): void;
}

/**
 * The members of a `PreforkIPC` object in both roles (`ManagerView` and
 * `ChildView`), generic in its callback map `C`, its children's final payload
 * `Final`, their `workerData` type `Data`, and the type of its
 * `lifetimesPerChild` option `Lifetimes` (see `FinishResult`). Hooks and
 * callback handlers receive the manager's object as a `ManagerView`.
 */
export interface PreforkView<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown, Lifetimes extends number = 1>
  extends ManagerView,
    ChildView<C, Final, Data, Lifetimes> {}

/** What `ppi.exportMetrics()` takes: a prom-client `Registry` (only this method is used). */
export interface MetricsRegistry {
  getMetricsAsJSON(): Promise<unknown[]>;
}

/** Where a child is in its process's life, for the scoreboard: `'starting'` until it first speaks (its first beat), `'stopping'` once told to stop or retired. */
export type ChildPhase = 'starting' | 'ready' | 'stopping';

/** One child in `ppi.status()`. Times are ms since the epoch; memory in bytes. */
export interface ChildStatus {
  pid: number;
  /** The child's place in the pool, when the manager numbers them. */
  slot?: number;
  generation: number;
  /** Lifetimes begun in this process (1 unless `lifetimesPerChild` > 1). */
  lifetime: number;
  phase: ChildPhase;
  /** `'idle'`, `'busy'`, or the child's own word (`ppi.setStatus()`); `serve()` keeps it. */
  state: string;
  /** The note given to `setStatus()`; under `serve()` the latest request line (`GET /path`). */
  note?: string;
  /** When `state` began (under `serve()`, busy: when the latest request began). */
  since: number;
  /** Requests answered (`serve()`), or busy spells ended (`setStatus()`), in this process. */
  served: number;
  /** Requests in progress (`serve()`); 1 while busy with `setStatus()`. */
  inflight: number;
  /** Event-loop utilisation (0…1) over the last beat interval. */
  elu: number;
  rss: number;
  heapUsed: number;
  /** When the last beat arrived; 0 before the first (or with `beatInterval: null`). */
  lastBeat: number;
  startedAt: number;
}

/** `ppi.status()`: the pool, from the manager's memory (no child is asked). Plain JSON. */
export interface PoolStatus {
  /** The manager's pid. */
  pid: number;
  generation: number;
  maxWorkers: number;
  /** Ready children whose state is not `'idle'`, ready idle ones, and those starting and stopping. */
  busy: number;
  idle: number;
  starting: number;
  stopping: number;
  /** Seconds since the manager process began. */
  uptime: number;
  /** Everything `served` by every child since the manager began, those gone included. */
  served: number;
  /** Child processes spawned, and lifetimes begun, since the manager began. */
  spawns: number;
  lifetimes: number;
  children: ChildStatus[];
}
