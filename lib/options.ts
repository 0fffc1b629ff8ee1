import path from 'node:path';
import { normalizeSignal, type SignalName } from './signals';
import type { CallbackHandler, CallbackMap, ChildView, ManagerView, ReapInfo, ReloadFailedInfo } from './view';

/**
 * Hook types are written as method signatures (the "bivariance hack") so that
 * a user may annotate a parameter (say, the final payload) with the shape they
 * expect, while an unannotated parameter keeps the type given here.
 */
type Bivariant<F extends (...args: never[]) => unknown> = { hook(...args: Parameters<F>): ReturnType<F> }['hook'];

/**
 * Hooks get `ppi` as a `ManagerView`: they run in the manager, where the
 * members a `ChildView` adds (`callback()`, `finish()`, `workerData`) belong
 * to children (`onManagerExit`, which runs in a child, gets a `ChildView`).
 * Neither is typed in `C`, `Final` and `Data`: a `ppi` typed in them makes
 * TypeScript settle the type parameters before it reads the option they come
 * from (tried: every `callback()` result and every `workerData` lost its type).
 */

/**
 * What a trapped signal does: forward a signal to the children, forward it one
 * child at a time, nothing, or change the pool's size by one
 * (`'addWorker'` / `'removeWorker'`, gunicorn's TTIN / TTOU).
 */
export type SignalAction = string | [signal: string, intervalMs: number] | null; // a string: a signal name or a PoolAction

/** A `trapSignals` action that resizes the pool instead of ending `start()`. */
export type PoolAction = 'addWorker' | 'removeWorker';

/**
 * One socket for the manager to listen on (the `listen` option): TCP
 * `{ port, host?, backlog? }`, a Unix socket `{ path, backlog? }`, or a socket
 * the manager already holds `{ fd }`.
 */
export type ListenSpec =
  | { port: number; host?: string; backlog?: number }
  | { path: string; backlog?: number }
  | { fd: number; backlog?: number };

/**
 * The `listen` option: a list of sockets, or where to find sockets made by a
 * supervisor: `'systemd'` (socket activation: `LISTEN_FDS`, `LISTEN_PID`) or
 * `'server-starter'` (Perl's Server::Starter: `SERVER_STARTER_PORT`).
 */
export type ListenOption = ListenSpec[] | 'systemd' | 'server-starter';

/** The `balance` option: who accepts connections on the `listen` sockets. */
export type BalanceMode = 'kernel' | 'round-robin';

/** What a child does when its manager goes away (EOF on fd 3). */
export type ManagerExitPolicy = 'terminate' | 'ignore' | ((ppi: ChildView) => void);

/**
 * The `exec` option, like `cluster.setupPrimary({ exec, args, execArgv })`:
 * which script the children run, with which arguments and node flags.
 */
export interface ExecSettings {
  /** The children's script. Default: the manager's own entry script (`process.argv[1]`). */
  file?: string;
  /** Arguments after the script. Default: the manager's (`process.argv.slice(2)`). */
  args?: string[];
  /** Node flags, used as given. Default: the manager's (`process.execArgv`), adjusted for fast TypeScript children. */
  execArgv?: string[];
}

/** `beforeFork` / `afterFork`'s `info`: which slot (0 … maxWorkers − 1) the lifetime is in (docs/servers.md, "Slots"). */
export interface ForkInfo {
  slot: number;
}

export interface PreforkOptions<C extends CallbackMap = CallbackMap, Final = unknown, Data = unknown, Lifetimes extends number = 1> {
  /** How many children the manager keeps alive. Default 10. */
  maxWorkers?: number;
  /** Least time between two spawns, in ms. Default 0. */
  spawnInterval?: number;
  /** Pause in ms before spawning again after a child of the current generation exits non-zero. Default 1000. */
  errRespawnInterval?: number;
  /** Signals the manager traps, and what each one sends to the children. Default `{ TERM: 'TERM' }`. */
  trapSignals?: Record<string, SignalAction>;
  /**
   * Manager: a lifetime ended (with the default `lifetimesPerChild: 1`, a child process).
   * `status` is the code given to `finish()`, or the process's exit code, or 128 + signal
   * number; `info` says why it ended.
   */
  onChildReap?: Bivariant<(ppi: ManagerView, pid: number, status: number, finalPayload: Final | undefined, info: ReapInfo) => unknown>;
  /**
   * Manager: about to begin a lifetime (spawn, or hand a reused child its next one); a result
   * other than undefined becomes that lifetime's `workerData`.
   * A plain function type, not `Bivariant`: through the method-signature wrapper, a `(ppi) => …`
   * with `ppi` unannotated left `Data` as `unknown` (spec/types/hooks.ts).
   */
  beforeFork?: (ppi: ManagerView, info: ForkInfo) => Data | undefined;
  /** Manager: a child was spawned (or, reused, handed its next lifetime). */
  afterFork?: Bivariant<(ppi: ManagerView, pid: number, info: ForkInfo) => unknown>;
  /** Handlers the children can call by name. */
  callbacks?: C;
  /** A handler not settled within this many ms fails the child's call with a timeout. Default: no limit. */
  callbackTimeout?: number;
  /** Largest line, in bytes, accepted on the channel in either direction. Default 256 MiB. */
  maxMessageBytes?: number;
  /** Child: what to do when the manager goes away. Default `'terminate'` (the child sends itself SIGTERM). */
  onManagerExit?: ManagerExitPolicy;
  /**
   * After the manager forwards TERM, INT or QUIT to a child, it sends SIGKILL to that child
   * if it has not exited within this many ms. `null` never escalates. Default 30000.
   */
  gracePeriod?: number | null;
  /**
   * What the children run, when it is not the manager's own script: a script path, or
   * `{ file, args, execArgv }` (each part defaults to the manager's). Relative paths are
   * resolved against the working directory when the object is made.
   */
  exec?: string | ExecSettings;
  /**
   * Sockets the manager opens once, before its first spawn, and keeps open across
   * generations; every child receives them as `ppi.listeners`. See docs/servers.md.
   */
  listen?: ListenOption;
  /**
   * How connections on the `listen` sockets reach the children. `'kernel'` (default, as Perl's
   * prefork servers): every child accepts on the shared socket and the kernel picks one.
   * `'round-robin'` (as node:cluster's primary): the manager accepts and hands each connection
   * to the next serving child in turn; children must serve with `ppi.serve()`. See docs/servers.md.
   */
  balance?: BalanceMode;
  /** A file the manager writes its pid to (removed when it exits): signal that pid, never a wrapper's. */
  pidFile?: string;
  /**
   * How many lifetimes (start() → finish()) one child process serves before it is replaced.
   * Default 1: a process per lifetime. With more (or `Infinity`), `finish()` resolves and the
   * child's loop goes round to `start()`, which resolves when the manager hands it the next one.
   */
  lifetimesPerChild?: Lifetimes;
  /** Each child's limit is `lifetimesPerChild` plus a random whole number from 0 to this. Default 0. */
  lifetimesJitter?: number;
  /**
   * Bytes: a child whose RSS is above this is recycled: a reused child after a lifetime, and any
   * child (a long-lived server) as soon as its periodic report says so, replacement first. Default: no limit.
   */
  maxChildMemory?: number;
  /**
   * ms: a child older than this (plus its `ageJitter`) is recycled, replacement first: a new child is
   * spawned, and the old one told to stop once the new one is ready. Default: no limit.
   */
  maxChildAge?: number;
  /** ms: each child's `maxChildAge` is raised by a random whole number of ms from 0 to this, so a pool started together does not recycle together. Default 0. */
  ageJitter?: number;
  /** A lifetime running longer than this many ms is aborted (`ppi.abortSignal`), then SIGKILLed after `gracePeriod`. Default: no limit. */
  lifetimeTimeout?: number;
  /**
   * A child whose beat has not arrived for this many ms (counted from its spawn until the
   * first) is hung: its event loop is stuck. The manager reads its JavaScript stack over the
   * inspector (loopback, about 1 s at most), SIGKILLs it, and reaps it with reason `'hung'`.
   * Default: none (no child is ever called hung, and no inspector is ever opened).
   */
  hangTimeout?: number;
  /**
   * Spare workers (Perl's Parallel::Prefork::SpareWorkers, Apache's MinSpareServers): the pool
   * spawns, up to `maxWorkers`, while fewer than this many children are idle (by `ppi.setStatus()`,
   * or `ppi.serve()`'s requests in flight). Setting it or `maxSpareWorkers` turns sizing by idle
   * children on; without either the pool keeps `maxWorkers` alive, as before. Default 1 then.
   */
  minSpareWorkers?: number;
  /** Spare workers: above this many idle children, the one idle the longest is retired. Default `minSpareWorkers` (at least 1). */
  maxSpareWorkers?: number;
  /** Spare workers: the pool never shrinks below this many children. Default 0. */
  minWorkers?: number;
  /**
   * What makes a child ready (docs/servers.md, "Readiness"). `'auto'` (default): with `listen`,
   * `serve()` listening or `ppi.ready()`; without, its `start()` resolving. `'explicit'`: only
   * `serve()` or `ppi.ready()` (a job worker that warms up first).
   */
  readiness?: 'auto' | 'explicit';
  /**
   * ms: a child not ready this long after its spawn is stopped (stop signal, `gracePeriod`,
   * SIGKILL; `ReapInfo.reason` `'not-ready'`), and counts as a failed start. Default 30000; `Infinity`: no limit.
   */
  readyTimeout?: number;
  /**
   * A reload (a trapped signal that ends `start()`, followed by the next `start()`) waits for the
   * new children to be ready before it stops the old ones, and rolls back when they do not come up.
   * Default: true with `listen`, false without (job workers keep Perl's behaviour: the old ones
   * finish their work while the new ones start). See docs/servers.md, "Reloads that wait".
   */
  gatedReload?: boolean;
  /** Gated rolling reload: new children started beside the old ones at a time (beyond maxWorkers). Default 1. */
  surge?: number;
  /** Gated reload: after this many failed steps (a new child dead or not ready in time) the reload is abandoned. Default 3. */
  reloadAttempts?: number;
  /** Manager: a gated reload was abandoned; the old generation keeps serving. `info` says why. */
  onReloadFailed?: Bivariant<(ppi: ManagerView, info: ReloadFailedInfo) => unknown>;
  /**
   * Give up (start() rejects, naming the last child's error) when more than this many children
   * crash (exit non-zero, or never get ready) within `restartWindow`, outside a reload. Default: never.
   */
  maxRestarts?: number;
  /** ms: the window `maxRestarts` counts in. Default 60000. */
  restartWindow?: number;
  /**
   * Tell systemd what the pool does (`READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=`,
   * `WATCHDOG=1`) on `NOTIFY_SOCKET`: `true`, or `'auto'` (only when `NOTIFY_SOCKET` is set).
   * Sent with `systemd-notify` or `python3` (the unit needs `NotifyAccess=all`). See docs/running.md.
   */
  systemd?: boolean | 'auto';
  /**
   * Manager: the most calls one child may have waiting for their answers. Past it the manager
   * stops reading that child's pipe until answers go out (the child's `callback()` simply waits
   * longer), so a child that fires calls without awaiting them cannot exhaust the manager's
   * memory. Default 4096; `Infinity`: no bound.
   */
  maxCallsInFlight?: number;
  /**
   * Where a child's fd 1 (its standard output) goes: `'inherit'` (default) the manager's, or
   * `'stderr'` the manager's standard error, for a manager whose own standard output is data
   * (the `prefork-ipc` command's results) that nothing a child prints may mix into.
   */
  childStdout?: ChildStdout;
  /**
   * ms between each child's beat (its status, counters, event-loop utilisation and memory, for
   * `ppi.status()` and `ppi.metrics()`; docs/observability.md). `null`: no beat. Default 1000.
   */
  beatInterval?: number | null;
  /**
   * A Unix socket the manager listens on for `prefork-ipc ctl` (NDJSON requests; docs/observability.md),
   * made with mode 0600 at the first start(). An existing path is replaced only when it is a stale socket.
   */
  controlSocket?: string;
}

/**
 * Every option name, checked by the compiler against PreforkOptions: an
 * option added there without a line here does not compile, so the
 * unknown-option check can never refuse a real one.
 */
const OPTION_NAMES: { [K in keyof Required<PreforkOptions>]: true } = {
  maxWorkers: true,
  spawnInterval: true,
  errRespawnInterval: true,
  trapSignals: true,
  onChildReap: true,
  beforeFork: true,
  afterFork: true,
  callbacks: true,
  callbackTimeout: true,
  maxMessageBytes: true,
  onManagerExit: true,
  gracePeriod: true,
  exec: true,
  listen: true,
  balance: true,
  pidFile: true,
  lifetimesPerChild: true,
  lifetimesJitter: true,
  maxChildMemory: true,
  maxChildAge: true,
  ageJitter: true,
  lifetimeTimeout: true,
  hangTimeout: true,
  minSpareWorkers: true,
  maxSpareWorkers: true,
  minWorkers: true,
  readiness: true,
  readyTimeout: true,
  gatedReload: true,
  surge: true,
  reloadAttempts: true,
  onReloadFailed: true,
  maxRestarts: true,
  restartWindow: true,
  systemd: true,
  maxCallsInFlight: true,
  childStdout: true,
  beatInterval: true,
  controlSocket: true,
};

export interface ResolvedOptions {
  maxWorkers: number;
  spawnInterval: number;
  errRespawnInterval: number;
  trapSignals: Map<SignalName, ResolvedAction>;
  onChildReap?: (ppi: ManagerView, pid: number, status: number, finalPayload: unknown, info: ReapInfo) => unknown;
  beforeFork?: (ppi: ManagerView, info: ForkInfo) => unknown;
  afterFork?: (ppi: ManagerView, pid: number, info: ForkInfo) => unknown;
  callbacks: Map<string, CallbackHandler>;
  callbackTimeout?: number;
  maxMessageBytes: number;
  onManagerExit: ManagerExitPolicy;
  gracePeriod: number | null;
  exec: ExecSettings;
  listen: ListenSpec[] | 'systemd' | 'server-starter' | undefined;
  balance: BalanceMode;
  pidFile: string | undefined;
  /** Whole number ≥ 1, or Infinity; undefined: DEFAULTS.lifetimesPerChild (a process per lifetime). */
  lifetimesPerChild?: number;
  /** undefined: DEFAULTS.lifetimesJitter. */
  lifetimesJitter?: number;
  maxChildMemory?: number;
  maxChildAge?: number;
  /** undefined: 0. */
  ageJitter?: number;
  lifetimeTimeout?: number;
  hangTimeout?: number;
  /** Spare workers, when `minSpareWorkers` or `maxSpareWorkers` is given (spare-workers.ts). */
  spare: SpareSettings | undefined;
  readiness: 'auto' | 'explicit';
  /** undefined: no limit. */
  readyTimeout: number | undefined;
  gatedReload: boolean;
  surge: number;
  reloadAttempts: number;
  onReloadFailed?: (ppi: ManagerView, info: ReloadFailedInfo) => unknown;
  /** undefined: never give up. */
  maxRestarts: number | undefined;
  restartWindow: number;
  systemd: boolean | 'auto';
  /** Whole number ≥ 1, or Infinity. */
  maxCallsInFlight: number;
  childStdout: ChildStdout;
  /** null: no beat. */
  beatInterval: number | null;
  controlSocket: string | undefined;
}

/**
 * Every option's default: the one table `resolveOptions` reads (and docs/api.md's "Default"
 * column says; spec/options-defaults-documented.test.ts compares them). An option left out
 * has no default: not given means none (a hook, `callbackTimeout`, `maxChildAge`…), or a
 * default worked out from other options (`exec`: the manager's own command line;
 * `gatedReload`: on with `listen`; `maxSpareWorkers`: `minSpareWorkers`, at least 1;
 * `beatInterval` with `hangTimeout`). `lifetimesPerChild`, `lifetimesJitter` and `ageJitter` stay undefined in the resolved options when not
 * given; the code that reads them takes these values then.
 *
 * What `null` means today, option by option (spec/unit/options.test.ts pins it):
 * - "never": `gracePeriod` (no SIGKILL, as `Infinity`), `beatInterval` (no beat), and a
 *   `trapSignals` entry (nothing forwarded);
 * - the default, as if not given: `maxWorkers`, `trapSignals`, `callbacks`,
 *   `maxMessageBytes`, `onManagerExit`, `maxCallsInFlight`;
 * - a TypeError naming the option: every other option.
 */
export const DEFAULTS = Object.freeze({
  maxWorkers: 10,
  spawnInterval: 0,
  errRespawnInterval: 1000,
  trapSignals: Object.freeze({ TERM: 'TERM' }),
  callbacks: Object.freeze({}) as Readonly<Record<string, CallbackHandler>>,
  maxMessageBytes: 256 * 1024 * 1024,
  /**
   * A call waiting in the manager costs ≈ 1.4 KB (its handler's promise, the
   * payload, the pending answer): 4096 of them ≈ 6 MB per child, far more calls
   * than a child that awaits its calls (or runs a few hundred in parallel) has.
   */
  maxCallsInFlight: 4096,
  onManagerExit: 'terminate',
  gracePeriod: 30_000,
  balance: 'kernel',
  /** A process per lifetime. */
  lifetimesPerChild: 1,
  lifetimesJitter: 0,
  ageJitter: 0,
  systemd: false,
  childStdout: 'inherit',
  /** The beat's period, in ms. */
  beatInterval: 1000,
  readiness: 'auto',
  /** A Node start-up is ≈ 0.1 s, a loaded machine's ≈ 1 s; a server's warm-up may take seconds more. */
  readyTimeout: 30_000,
  surge: 1,
  reloadAttempts: 3,
  restartWindow: 60_000,
  /** When spare workers are on (`minSpareWorkers` or `maxSpareWorkers` given). */
  minSpareWorkers: 1,
  minWorkers: 0,
});

/** The beat's default period, in ms. */
export const DEFAULT_BEAT_INTERVAL_MS = DEFAULTS.beatInterval;
/** The shortest beat accepted: a beat is periodic bookkeeping, not a busy loop. */
const MIN_BEAT_INTERVAL_MS = 10;

function beatIntervalOption(value: unknown): number | null {
  if (value === undefined) return DEFAULT_BEAT_INTERVAL_MS;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < MIN_BEAT_INTERVAL_MS || value > MAX_TIMER_MS) {
    fail('beatInterval', `a number of milliseconds from ${MIN_BEAT_INTERVAL_MS} to ${MAX_TIMER_MS}, or null (no beat)`, value);
  }
  return value;
}

function socketPathOption(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') fail(name, 'a non-empty path', value);
  return path.resolve(value);
}

export const DEFAULT_MAX_MESSAGE_BYTES = DEFAULTS.maxMessageBytes;
export const DEFAULT_MAX_CALLS_IN_FLIGHT = DEFAULTS.maxCallsInFlight;

function fail(option: string, expected: string, got: unknown): never {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- got is whatever the caller passed: String() shows what JSON.stringify cannot (undefined, a function, a symbol, a bigint, an object whose toJSON() gives undefined)
  const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got === 'object' ? JSON.stringify(got) ?? String(got) : String(got);
  throw new TypeError(`PreforkIPC option '${option}' must be ${expected}, got ${shown}`);
}

/** Validates a count of workers; also used by the `maxWorkers` setter. */
export function checkMaxWorkers(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail('maxWorkers', 'a whole number ≥ 0', value);
  return value as number;
}

/**
 * Every interval and timeout is in whole milliseconds: 0, or 1 and more. A fraction is refused
 * rather than rounded: `['TERM', 0.5]` or `gracePeriod: 2.5` is almost always a Perl or
 * gunicorn value in seconds, and taken as milliseconds it would silently be 1000 times shorter.
 */
export function millisecondsProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 'a number of milliseconds ≥ 0';
  if (!Number.isInteger(value)) {
    const hint = value < 1 ? ` (the unit is milliseconds: ${value} s is ${Math.round(value * 1000)})` : ' (the unit is milliseconds)';
    return `a whole number of milliseconds, 0 or ≥ 1${hint}`;
  }
  return undefined;
}

function duration(options: Record<string, unknown>, name: string, fallback: number | undefined): number | undefined {
  const value = options[name];
  if (value === undefined) return fallback;
  const problem = millisecondsProblem(value);
  if (problem) fail(name, problem, value);
  return value as number;
}

/** The longest delay setTimeout honours (about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A time limit: `Infinity`, or anything longer than a timer can wait, means none. */
function limit(options: Record<string, unknown>, name: string, fallback: number | undefined): number | undefined {
  const value = options[name];
  if (value === Infinity) return undefined;
  const ms = duration(options, name, fallback);
  return ms !== undefined && ms > MAX_TIMER_MS ? undefined : ms;
}

function hook<T>(options: Record<string, unknown>, name: string): T | undefined {
  const value = options[name];
  if (value !== undefined && typeof value !== 'function') fail(name, 'a function', value);
  return value as T | undefined;
}

/** A forward (`signal`, one child per `intervalMs` when that is > 0), a resize, or nothing. */
export type ResolvedAction = { signal: SignalName; intervalMs: number } | { resize: 1 | -1 } | null;

function signalAction(key: string, value: unknown): ResolvedAction {
  if (value === null || value === undefined) return null;
  if (value === 'addWorker') return { resize: 1 };
  if (value === 'removeWorker') return { resize: -1 };
  const option = `trapSignals.${key}`;
  if (Array.isArray(value)) {
    const [signal, interval] = value as unknown[];
    const name = normalizeSignal(signal);
    if (value.length !== 2 || !name) fail(option, 'a signal name, null, or [signal, intervalMs]', value);
    const problem = millisecondsProblem(interval);
    if (problem) fail(option, `a signal name, null, or [signal, intervalMs] with intervalMs ${problem}`, value);
    return { signal: name, intervalMs: interval as number };
  }
  const name = normalizeSignal(value);
  if (!name) fail(option, ACTIONS, value);
  return { signal: name, intervalMs: 0 };
}

const ACTIONS = "a signal name, null, or [signal, intervalMs] (or a pool action: 'addWorker', 'removeWorker')";

function backlogOf(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail(`${option}.backlog`, 'a whole number ≥ 1', value);
  return value as number;
}

function listenSpec(option: string, value: unknown): ListenSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, 'an object { port, host?, backlog? }, { path, backlog? } or { fd, backlog? }', value);
  }
  const { port, host, path: socketPath, fd, backlog, ...rest } = value as Record<string, unknown>;
  const kinds = [port, socketPath, fd].filter((v) => v !== undefined).length;
  if (kinds !== 1 || Object.keys(rest).length > 0) {
    fail(option, 'exactly one of { port, host?, backlog? }, { path, backlog? } or { fd, backlog? }', value);
  }
  const checkedBacklog = backlogOf(option, backlog);
  const withBacklog = <T extends object>(spec: T): T => (checkedBacklog === undefined ? spec : { ...spec, backlog: checkedBacklog });
  if (port !== undefined) {
    if (!Number.isSafeInteger(port) || (port as number) < 0 || (port as number) > 65535) fail(`${option}.port`, 'a port number 0–65535', port);
    if (host !== undefined && (typeof host !== 'string' || host === '')) fail(`${option}.host`, 'a non-empty host', host);
    return withBacklog(host === undefined ? { port: port as number } : { port: port as number, host });
  }
  if (host !== undefined) fail(option, 'given host only together with port', value);
  if (socketPath !== undefined) {
    if (typeof socketPath !== 'string' || socketPath === '') fail(`${option}.path`, 'a non-empty path', socketPath);
    return withBacklog({ path: path.resolve(socketPath) });
  }
  if (!Number.isSafeInteger(fd) || (fd as number) < 0) fail(`${option}.fd`, 'a file descriptor (a whole number ≥ 0)', fd);
  return withBacklog({ fd: fd as number });
}

function listenOption(value: unknown): ResolvedOptions['listen'] {
  if (value === undefined || value === 'systemd' || value === 'server-starter') return value;
  if (!Array.isArray(value)) fail('listen', "an array of sockets, 'systemd' or 'server-starter'", value);
  return value.map((item, i) => listenSpec(`listen[${i}]`, item));
}

function balanceOption(value: unknown, listen: ResolvedOptions['listen']): BalanceMode {
  if (value === undefined) return DEFAULTS.balance;
  if (value !== 'kernel' && value !== 'round-robin') fail('balance', "'kernel' or 'round-robin'", value);
  // Without sockets of its own there is nothing for the manager to deal out: said now, not at the first start().
  if (value === 'round-robin' && listen === undefined) {
    throw new TypeError("PreforkIPC option 'balance': 'round-robin' deals out the connections of the 'listen' sockets, and 'listen' is not given");
  }
  return value;
}

function stringList(option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) fail(option, 'an array of strings', value);
  return [...value];
}

function execSettings(value: unknown): ExecSettings {
  if (value === undefined) return {};
  if (typeof value === 'string') value = { file: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('exec', 'a script path or an object { file?, args?, execArgv? }', value);
  }
  const { file, args, execArgv, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) fail('exec', 'an object with only file, args and execArgv', value);
  if (file !== undefined && (typeof file !== 'string' || file === '')) fail('exec.file', 'a non-empty path', file);
  return {
    file: file === undefined ? undefined : path.resolve(file),
    args: stringList('exec.args', args),
    execArgv: stringList('exec.execArgv', execArgv),
  };
}

function pidFileOption(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') fail('pidFile', 'a non-empty path', value);
  return path.resolve(value);
}

/** A JavaScript caller's typo (`lifetimePerChild`) or an option of a newer version would otherwise do nothing, silently. */
function rejectUnknownNames(options: Record<string, unknown>): void {
  const known = Object.keys(OPTION_NAMES);
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(OPTION_NAMES, name)) continue;
    // Loaded only here: a mistyped option is rare, and every module costs each child start-up time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only for the error
    const { closestName } = require('./did-you-mean') as typeof import('./did-you-mean');
    const near = closestName(name, known);
    throw new TypeError(`PreforkIPC has no option '${name}'${near ? `: did you mean '${near}'?` : ` (options: ${known.join(', ')})`}`);
  }
}

function wholeNumber(options: Record<string, unknown>, name: string, fallback: number, least = 0): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < least) fail(name, `a whole number ≥ ${least}`, value);
  return value as number;
}

function maxCallsInFlight(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_CALLS_IN_FLIGHT;
  if (value === Infinity) return Infinity;
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail('maxCallsInFlight', 'a whole number ≥ 1, or Infinity', value);
  return value as number;
}

/** `childStdout`: where a child's fd 1 goes. */
export type ChildStdout = 'inherit' | 'stderr';

function childStdoutOption(value: unknown): ChildStdout {
  if (value === undefined) return DEFAULTS.childStdout;
  if (value !== 'inherit' && value !== 'stderr') fail('childStdout', "'inherit' or 'stderr'", value);
  return value;
}

function lifetimesPerChild(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value === Infinity) return Infinity;
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail('lifetimesPerChild', 'a whole number ≥ 1, or Infinity', value);
  return value as number;
}

/** Least hangTimeout: under it, a child on a busy machine would be called hung between two healthy beats. */
export const MIN_HANG_TIMEOUT_MS = 100;

function hangTimeout(options: Record<string, unknown>): number | undefined {
  const ms = limit(options, 'hangTimeout', undefined);
  if (ms !== undefined && ms < MIN_HANG_TIMEOUT_MS) fail('hangTimeout', `a number of milliseconds ≥ ${MIN_HANG_TIMEOUT_MS} (or Infinity: none)`, ms);
  return ms;
}

/** The spare-worker bounds, checked against each other and maxWorkers. */
export interface SpareSettings {
  minSpareWorkers: number;
  maxSpareWorkers: number;
  minWorkers: number;
}

function spareSettings(options: Record<string, unknown>, maxWorkers: number): SpareSettings | undefined {
  if (options.minSpareWorkers === undefined && options.maxSpareWorkers === undefined) {
    if (options.minWorkers !== undefined) {
      throw new TypeError("PreforkIPC option 'minWorkers' is a floor for spare workers: give 'minSpareWorkers' or 'maxSpareWorkers' too");
    }
    return undefined;
  }
  const minSpareWorkers = wholeNumber(options, 'minSpareWorkers', DEFAULTS.minSpareWorkers);
  const maxSpareWorkers = wholeNumber(options, 'maxSpareWorkers', Math.max(minSpareWorkers, 1), 1);
  const minWorkers = wholeNumber(options, 'minWorkers', DEFAULTS.minWorkers);
  if (minSpareWorkers > maxSpareWorkers) {
    throw new TypeError(`PreforkIPC option 'minSpareWorkers' (${minSpareWorkers}) must not be above 'maxSpareWorkers' (${maxSpareWorkers})`);
  }
  if (minWorkers > maxWorkers) {
    throw new TypeError(`PreforkIPC option 'minWorkers' (${minWorkers}) must not be above 'maxWorkers' (${maxWorkers}), the ceiling`);
  }
  return { minSpareWorkers, maxSpareWorkers, minWorkers };
}

/**
 * hangTimeout watches the beat, so the two are settled together. Left out, the
 * beat comes 4 times per hangTimeout (at most every 1000 ms): one late beat on a
 * busy machine is not a hang. Given, beatInterval must leave that room itself.
 */
function hangAndBeat(options: Record<string, unknown>): Pick<ResolvedOptions, 'hangTimeout' | 'beatInterval'> {
  const hang = hangTimeout(options);
  if (hang === undefined) return { hangTimeout: undefined, beatInterval: beatIntervalOption(options.beatInterval) };
  if (options.beatInterval === undefined) {
    return { hangTimeout: hang, beatInterval: Math.min(DEFAULT_BEAT_INTERVAL_MS, Math.max(MIN_BEAT_INTERVAL_MS, Math.floor(hang / 4))) };
  }
  const beat = beatIntervalOption(options.beatInterval);
  if (beat === null) {
    throw new TypeError("PreforkIPC option 'hangTimeout' watches the children's beat, and 'beatInterval' is null (no beat)");
  }
  if (hang < 2 * beat) {
    throw new TypeError(
      `PreforkIPC option 'hangTimeout' (${hang} ms) must be at least twice 'beatInterval' (${beat} ms): ` +
        'a child one beat late would be called hung',
    );
  }
  return { hangTimeout: hang, beatInterval: beat };
}

/** A whole number of ms ≥ `least`; undefined when not given (and for `Infinity`, when `infinite` allows it). */
function wholeMs(options: Record<string, unknown>, name: string, least: number, infinite: boolean): number | undefined {
  const value = options[name];
  if (value === undefined || (infinite && value === Infinity)) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < least) {
    fail(name, `a whole number of milliseconds ≥ ${least}${infinite ? ' (or Infinity: none)' : ''}`, value);
  }
  return value as number;
}

function systemdOption(value: unknown): boolean | 'auto' {
  if (value === undefined) return DEFAULTS.systemd;
  if (value !== true && value !== false && value !== 'auto') fail('systemd', "true, false or 'auto'", value);
  return value;
}

export function resolveOptions(input: unknown): ResolvedOptions {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null) fail('options', 'an object', input);
  const options = input as Record<string, unknown>;
  rejectUnknownNames(options);

  const trapInput = options.trapSignals ?? DEFAULTS.trapSignals;
  if (typeof trapInput !== 'object' || trapInput === null || Array.isArray(trapInput)) {
    fail('trapSignals', 'an object of signal → action', trapInput);
  }
  const trapSignals: ResolvedOptions['trapSignals'] = new Map();
  for (const [key, value] of Object.entries(trapInput)) {
    const name = normalizeSignal(key);
    if (!name) fail(`trapSignals`, 'keyed by signal names', key);
    if (name === 'KILL' || name === 'STOP') fail('trapSignals', 'keyed by signals that can be caught', key);
    trapSignals.set(name, signalAction(key, value));
  }

  const callbacksInput = options.callbacks ?? DEFAULTS.callbacks;
  if (typeof callbacksInput !== 'object' || callbacksInput === null) fail('callbacks', 'an object of functions', callbacksInput);
  const callbacks = new Map<string, CallbackHandler>();
  for (const [name, handler] of Object.entries(callbacksInput)) {
    if (typeof handler !== 'function') fail(`callbacks.${name}`, 'a function', handler);
    callbacks.set(name, handler as CallbackHandler);
  }

  const policy = options.onManagerExit ?? DEFAULTS.onManagerExit;
  if (policy !== 'terminate' && policy !== 'ignore' && typeof policy !== 'function') {
    fail('onManagerExit', "'terminate', 'ignore' or a function", policy);
  }

  const maxMessageBytes = options.maxMessageBytes ?? DEFAULTS.maxMessageBytes;
  if (!Number.isSafeInteger(maxMessageBytes) || (maxMessageBytes as number) < 64) {
    fail('maxMessageBytes', 'a whole number of bytes ≥ 64', maxMessageBytes);
  }

  const listen = listenOption(options.listen);
  return {
    maxWorkers: checkMaxWorkers(options.maxWorkers ?? DEFAULTS.maxWorkers),
    spawnInterval: duration(options, 'spawnInterval', DEFAULTS.spawnInterval)!,
    errRespawnInterval: duration(options, 'errRespawnInterval', DEFAULTS.errRespawnInterval)!,
    trapSignals,
    onChildReap: hook(options, 'onChildReap'),
    beforeFork: hook(options, 'beforeFork'),
    afterFork: hook(options, 'afterFork'),
    callbacks,
    callbackTimeout: limit(options, 'callbackTimeout', undefined),
    maxMessageBytes: maxMessageBytes as number,
    onManagerExit: policy as ManagerExitPolicy,
    gracePeriod: options.gracePeriod === null ? null : (limit(options, 'gracePeriod', DEFAULTS.gracePeriod) ?? null),
    exec: execSettings(options.exec),
    listen,
    balance: balanceOption(options.balance, listen),
    pidFile: pidFileOption(options.pidFile),
    lifetimesPerChild: lifetimesPerChild(options.lifetimesPerChild),
    lifetimesJitter: options.lifetimesJitter === undefined ? undefined : wholeNumber(options, 'lifetimesJitter', 0),
    maxChildMemory: options.maxChildMemory === undefined || options.maxChildMemory === Infinity ? undefined : wholeNumber(options, 'maxChildMemory', 0, 1),
    lifetimeTimeout: limit(options, 'lifetimeTimeout', undefined),
    readiness: readinessOption(options.readiness),
    readyTimeout: readyTimeoutOption(options),
    gatedReload: gatedReloadOption(options.gatedReload, listen),
    surge: wholeNumber(options, 'surge', DEFAULTS.surge, 1),
    reloadAttempts: wholeNumber(options, 'reloadAttempts', DEFAULTS.reloadAttempts, 1),
    onReloadFailed: hook(options, 'onReloadFailed'),
    maxRestarts: options.maxRestarts === undefined || options.maxRestarts === Infinity ? undefined : wholeNumber(options, 'maxRestarts', 0),
    restartWindow: duration(options, 'restartWindow', DEFAULTS.restartWindow)!,
    maxChildAge: wholeMs(options, 'maxChildAge', 1, true),
    ageJitter: wholeMs(options, 'ageJitter', 0, false),
    systemd: systemdOption(options.systemd),
    maxCallsInFlight: maxCallsInFlight(options.maxCallsInFlight ?? undefined),
    childStdout: childStdoutOption(options.childStdout),
    ...hangAndBeat(options),
    spare: spareSettings(options, checkMaxWorkers(options.maxWorkers ?? DEFAULTS.maxWorkers)),
    controlSocket: socketPathOption('controlSocket', options.controlSocket),
  };
}

/** readyTimeout: 0 would stop every child before its ready message could arrive, so it is refused rather than taken literally. */
function readyTimeoutOption(options: Record<string, unknown>): number | undefined {
  if (options.readyTimeout === 0) fail('readyTimeout', 'a whole number of milliseconds ≥ 1 (or Infinity: none); 0 would stop every child before it could be ready', 0);
  return limit(options, 'readyTimeout', DEFAULTS.readyTimeout);
}

function readinessOption(value: unknown): 'auto' | 'explicit' {
  if (value === undefined) return DEFAULTS.readiness;
  if (value !== 'auto' && value !== 'explicit') fail('readiness', "'auto' or 'explicit'", value);
  return value;
}

function gatedReloadOption(value: unknown, listen: ResolvedOptions['listen']): boolean {
  if (value === undefined) return listen !== undefined;
  if (typeof value !== 'boolean') fail('gatedReload', 'true or false', value);
  return value;
}
