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
 * default worked out from other options (`WORKED_OUT` below). `lifetimesPerChild`,
 * `lifetimesJitter` and `ageJitter` stay undefined in the resolved options when not given;
 * the code that reads them takes these values then.
 *
 * `null` means "none" (never, off, nothing) and only that, never "the default": it is taken
 * by `gracePeriod` (never SIGKILL, as `Infinity`), `beatInterval` (no beat) and a
 * `trapSignals` entry (nothing forwarded). Every other option refuses it with a TypeError
 * that says how to get the default (leave the option out): loud at construction, never a
 * silent default (or, for a limit like `maxCallsInFlight`, a silently lifted bound).
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

/** Defaults worked out from other options: what a `null` refusal tells the user they get by leaving the option out. */
const WORKED_OUT: Partial<Record<keyof PreforkOptions, string>> = {
  exec: "the manager's own command line",
  gatedReload: "true with 'listen', else false",
  maxSpareWorkers: "'minSpareWorkers', at least 1",
};

/** The beat's default period, in ms. */
export const DEFAULT_BEAT_INTERVAL_MS = DEFAULTS.beatInterval;
/** The shortest beat accepted: a beat is periodic bookkeeping, not a busy loop. */
const MIN_BEAT_INTERVAL_MS = 10;
export const DEFAULT_MAX_MESSAGE_BYTES = DEFAULTS.maxMessageBytes;
export const DEFAULT_MAX_CALLS_IN_FLIGHT = DEFAULTS.maxCallsInFlight;
/** The longest delay setTimeout honours (about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Least hangTimeout: under it, a child on a busy machine would be called hung between two healthy beats. */
export const MIN_HANG_TIMEOUT_MS = 100;

function show(got: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- got is whatever the caller passed: String() shows what JSON.stringify cannot (undefined, a function, a symbol, a bigint, an object whose toJSON() gives undefined)
  return typeof got === 'string' ? JSON.stringify(got) : typeof got === 'object' ? JSON.stringify(got) ?? String(got) : String(got);
}

/** How to get the default instead of `null`, for a top-level option (not a part like `exec.file`). */
function leaveOut(option: string): string {
  if (!Object.hasOwn(OPTION_NAMES, option)) return '';
  const worked = WORKED_OUT[option as keyof PreforkOptions];
  if (worked !== undefined) return ` (leave the option out for the default, ${worked})`;
  if (Object.hasOwn(DEFAULTS, option)) return ` (leave the option out for the default, ${show(DEFAULTS[option as keyof typeof DEFAULTS])})`;
  return ' (leave the option out for none)';
}

function fail(option: string, expected: string, got: unknown, hint = got === null ? leaveOut(option) : ''): never {
  throw new TypeError(`PreforkIPC option '${option}' must be ${expected}, got ${show(got)}${hint}`);
}

/** Validates a count of workers; also used by the `maxWorkers` setter (which has no option to leave out: no null hint). */
export function checkMaxWorkers(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail('maxWorkers', 'a whole number ≥ 0', value, '');
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

/**
 * One option's check: the value as given (`undefined` when left out) and the option's name (for
 * the message) in, the resolved value out, or a TypeError naming the option. `null` is refused
 * like any other wrong value (and `fail` adds how to get the default), except by the three
 * options where it means none.
 */
type Rule<T> = (value: unknown, name: string) => T;

/**
 * A whole number ≥ `least` (of `unit`, in the message). `infinite`: `'kept'`, Infinity is a
 * value (and the message says ", or Infinity"); `'none'`, Infinity means no limit, as leaving
 * the option out does, and the message adds `said` (default " (or Infinity: none)").
 */
function whole<F extends number | undefined = undefined>(bounds: {
  least?: number;
  fallback?: F;
  unit?: string;
  infinite?: 'kept' | 'none';
  said?: string;
}): Rule<number | F> {
  const { least = 0, fallback, unit, infinite } = bounds;
  const said = bounds.said ?? (infinite === 'kept' ? ', or Infinity' : infinite === 'none' ? ' (or Infinity: none)' : '');
  const expected = `a whole number${unit ? ` of ${unit}` : ''} ≥ ${least}${said}`;
  return (value, name) => {
    if (value === undefined) return fallback as F;
    if (value === Infinity && infinite) return infinite === 'kept' ? Infinity : (fallback as F);
    if (!Number.isSafeInteger(value) || (value as number) < least) fail(name, expected, value);
    return value as number;
  };
}

/**
 * Whole milliseconds (`millisecondsProblem`). `infinite`: a time limit, where `Infinity`, or
 * anything longer than a timer can wait, means none (undefined); `least`: its floor above 0.
 */
function milliseconds(bounds: { fallback: number; least?: number }): Rule<number>;
function milliseconds(bounds: { fallback?: number; infinite: true; least?: number }): Rule<number | undefined>;
function milliseconds({ fallback, infinite = false, least = 0 }: { fallback?: number; infinite?: boolean; least?: number }): Rule<number | undefined> {
  return (value, name) => {
    if (value === undefined) return fallback;
    if (infinite && value === Infinity) return undefined;
    const problem = millisecondsProblem(value);
    if (problem) fail(name, problem, value);
    if (infinite && (value as number) > MAX_TIMER_MS) return undefined;
    if ((value as number) < least) fail(name, `a number of milliseconds ≥ ${least}${infinite ? ' (or Infinity: none)' : ''}`, value);
    return value as number;
  };
}

/** One of `values` (the message lists them: `'kernel' or 'round-robin'`). */
function oneOf<T extends string | boolean>(values: readonly T[], fallback?: T): Rule<T> {
  const shown = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  const expected = `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
  return (value, name) => {
    if (value === undefined) return fallback as T;
    if (!values.includes(value as T)) fail(name, expected, value);
    return value as T;
  };
}

/** A hook: a function, or nothing. */
function fn<T>(): Rule<T> {
  return (value, name) => (value === undefined || typeof value === 'function' ? (value as T) : fail(name, 'a function', value));
}

/** A non-empty path, resolved against the working directory now (a later chdir does not move it). */
function filePath(): Rule<string | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') fail(name, 'a non-empty path', value);
    return path.resolve(value);
  };
}

/** gracePeriod: `null`, like `Infinity`, means never (null in the resolved options). */
function orNever(rule: Rule<number | undefined>): Rule<number | null> {
  return (value, name) => (value === null ? null : (rule(value, name) ?? null));
}

/** `beatInterval`: undefined when left out (hangTimeout may set it); `null`: no beat. Fractions are fine: it is a period, not a deadline. */
const beatInterval: Rule<number | null | undefined> = (value, name) => {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < MIN_BEAT_INTERVAL_MS || value > MAX_TIMER_MS) {
    fail(name, `a number of milliseconds from ${MIN_BEAT_INTERVAL_MS} to ${MAX_TIMER_MS}, or null (no beat)`, value);
  }
  return value;
};

/** A forward (`signal`, one child per `intervalMs` when that is > 0), a resize, or nothing. */
export type ResolvedAction = { signal: SignalName; intervalMs: number } | { resize: 1 | -1 } | null;

const ACTIONS = "a signal name, null, or [signal, intervalMs] (or a pool action: 'addWorker', 'removeWorker')";

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

const trapSignals: Rule<Map<SignalName, ResolvedAction>> = (value = DEFAULTS.trapSignals, name) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object of signal → action', value);
  const actions = new Map<SignalName, ResolvedAction>();
  for (const [key, action] of Object.entries(value)) {
    const signal = normalizeSignal(key);
    if (!signal) fail(name, 'keyed by signal names', key);
    if (signal === 'KILL' || signal === 'STOP') fail(name, 'keyed by signals that can be caught', key);
    actions.set(signal, signalAction(key, action));
  }
  return actions;
};

const callbacks: Rule<Map<string, CallbackHandler>> = (value = DEFAULTS.callbacks, name) => {
  if (typeof value !== 'object' || value === null) fail(name, 'an object of functions', value);
  const handlers = new Map<string, CallbackHandler>();
  for (const [key, handler] of Object.entries(value)) {
    if (typeof handler !== 'function') fail(`${name}.${key}`, 'a function', handler);
    handlers.set(key, handler as CallbackHandler);
  }
  return handlers;
};

const onManagerExit: Rule<ManagerExitPolicy> = (value = DEFAULTS.onManagerExit, name) => {
  if (value !== 'terminate' && value !== 'ignore' && typeof value !== 'function') fail(name, "'terminate', 'ignore' or a function", value);
  return value as ManagerExitPolicy;
};

function listenSpec(option: string, value: unknown): ListenSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, 'an object { port, host?, backlog? }, { path, backlog? } or { fd, backlog? }', value);
  }
  const { port, host, path: socketPath, fd, backlog, ...rest } = value as Record<string, unknown>;
  const kinds = [port, socketPath, fd].filter((v) => v !== undefined).length;
  if (kinds !== 1 || Object.keys(rest).length > 0) {
    fail(option, 'exactly one of { port, host?, backlog? }, { path, backlog? } or { fd, backlog? }', value);
  }
  const checkedBacklog = whole({ least: 1 })(backlog, `${option}.backlog`);
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

const listen: Rule<ResolvedOptions['listen']> = (value, name) => {
  if (value === undefined || value === 'systemd' || value === 'server-starter') return value;
  if (!Array.isArray(value)) fail(name, "an array of sockets, 'systemd' or 'server-starter'", value);
  return value.map((item, i) => listenSpec(`${name}[${i}]`, item));
};

function stringList(option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) fail(option, 'an array of strings', value);
  return [...value];
}

const exec: Rule<ExecSettings> = (value, name) => {
  if (value === undefined) return {};
  if (typeof value === 'string') value = { file: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'a script path or an object { file?, args?, execArgv? }', value);
  const { file, args, execArgv, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) fail(name, 'an object with only file, args and execArgv', value);
  if (file !== undefined && (typeof file !== 'string' || file === '')) fail(`${name}.file`, 'a non-empty path', file);
  return {
    file: file === undefined ? undefined : path.resolve(file),
    args: stringList(`${name}.args`, args),
    execArgv: stringList(`${name}.execArgv`, execArgv),
  };
};

/** `childStdout`: where a child's fd 1 goes. */
export type ChildStdout = 'inherit' | 'stderr';

/** The spare-worker bounds, checked against each other and maxWorkers. */
export interface SpareSettings {
  minSpareWorkers: number;
  maxSpareWorkers: number;
  minWorkers: number;
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

export function resolveOptions(input: unknown): ResolvedOptions {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null) fail('options', 'an object', input);
  const options = input as Record<string, unknown>;
  rejectUnknownNames(options);
  const read = <T>(name: keyof PreforkOptions, rule: Rule<T>): T => rule(options[name], name);

  // Each option on its own: one rule per option.
  const { minSpareWorkers, maxSpareWorkers, minWorkers, ...resolved } = {
    maxWorkers: read('maxWorkers', whole({ fallback: DEFAULTS.maxWorkers })),
    spawnInterval: read('spawnInterval', milliseconds({ fallback: DEFAULTS.spawnInterval })),
    errRespawnInterval: read('errRespawnInterval', milliseconds({ fallback: DEFAULTS.errRespawnInterval })),
    trapSignals: read('trapSignals', trapSignals),
    onChildReap: read('onChildReap', fn<ResolvedOptions['onChildReap']>()),
    beforeFork: read('beforeFork', fn<ResolvedOptions['beforeFork']>()),
    afterFork: read('afterFork', fn<ResolvedOptions['afterFork']>()),
    callbacks: read('callbacks', callbacks),
    callbackTimeout: read('callbackTimeout', milliseconds({ infinite: true })),
    maxMessageBytes: read('maxMessageBytes', whole({ least: 64, unit: 'bytes', fallback: DEFAULTS.maxMessageBytes })),
    onManagerExit: read('onManagerExit', onManagerExit),
    gracePeriod: read('gracePeriod', orNever(milliseconds({ fallback: DEFAULTS.gracePeriod, infinite: true }))),
    exec: read('exec', exec),
    listen: read('listen', listen),
    balance: read('balance', oneOf<BalanceMode>(['kernel', 'round-robin'], DEFAULTS.balance)),
    pidFile: read('pidFile', filePath()),
    lifetimesPerChild: read('lifetimesPerChild', whole({ least: 1, infinite: 'kept' })),
    lifetimesJitter: read('lifetimesJitter', whole({})),
    // These two messages never said how to spell "no limit": kept byte for byte.
    maxChildMemory: read('maxChildMemory', whole({ least: 1, infinite: 'none', said: '' })),
    maxChildAge: read('maxChildAge', whole({ least: 1, unit: 'milliseconds', infinite: 'none' })),
    ageJitter: read('ageJitter', whole({ unit: 'milliseconds' })),
    lifetimeTimeout: read('lifetimeTimeout', milliseconds({ infinite: true })),
    hangTimeout: read('hangTimeout', milliseconds({ infinite: true, least: MIN_HANG_TIMEOUT_MS })),
    minSpareWorkers: read('minSpareWorkers', whole({})),
    maxSpareWorkers: read('maxSpareWorkers', whole({ least: 1 })),
    minWorkers: read('minWorkers', whole({})),
    readiness: read('readiness', oneOf<'auto' | 'explicit'>(['auto', 'explicit'], DEFAULTS.readiness)),
    readyTimeout: read('readyTimeout', milliseconds({ fallback: DEFAULTS.readyTimeout, infinite: true })),
    gatedReload: read('gatedReload', oneOf([true, false])) as boolean | undefined,
    surge: read('surge', whole({ least: 1, fallback: DEFAULTS.surge })),
    reloadAttempts: read('reloadAttempts', whole({ least: 1, fallback: DEFAULTS.reloadAttempts })),
    onReloadFailed: read('onReloadFailed', fn<ResolvedOptions['onReloadFailed']>()),
    maxRestarts: read('maxRestarts', whole({ infinite: 'none', said: '' })),
    // 0 would be a window holding no crash: maxRestarts silently never reached.
    restartWindow: read('restartWindow', milliseconds({ fallback: DEFAULTS.restartWindow, least: 1 })),
    systemd: read('systemd', oneOf<boolean | 'auto'>([true, false, 'auto'], DEFAULTS.systemd)),
    maxCallsInFlight: read('maxCallsInFlight', whole({ least: 1, infinite: 'kept', fallback: DEFAULTS.maxCallsInFlight })),
    childStdout: read('childStdout', oneOf<ChildStdout>(['inherit', 'stderr'], DEFAULTS.childStdout)),
    beatInterval: read('beatInterval', beatInterval),
    controlSocket: read('controlSocket', filePath()),
  };

  // Then the checks across options.
  // Without sockets of its own there is nothing for the manager to deal out: said now, not at the first start().
  if (resolved.balance === 'round-robin' && resolved.listen === undefined) {
    throw new TypeError("PreforkIPC option 'balance': 'round-robin' deals out the connections of the 'listen' sockets, and 'listen' is not given");
  }
  // readyTimeout: 0 would stop every child before its ready message could arrive, so it is refused rather than taken literally.
  if (resolved.readyTimeout === 0) {
    fail('readyTimeout', 'a whole number of milliseconds ≥ 1 (or Infinity: none); 0 would stop every child before it could be ready', 0);
  }
  return {
    ...resolved,
    // A server's reload waits for the new children (nothing stops serving); job workers keep Perl's reload.
    gatedReload: resolved.gatedReload ?? resolved.listen !== undefined,
    beatInterval: beatFor(resolved.hangTimeout, resolved.beatInterval),
    spare: spareSettings(minSpareWorkers, maxSpareWorkers, minWorkers, resolved.maxWorkers),
  };
}

/**
 * hangTimeout watches the beat, so the two are settled together. Left out, the
 * beat comes 4 times per hangTimeout (at most every 1000 ms): one late beat on a
 * busy machine is not a hang. Given, beatInterval must leave that room itself.
 */
function beatFor(hang: number | undefined, beat: number | null | undefined): number | null {
  if (hang === undefined) return beat === undefined ? DEFAULT_BEAT_INTERVAL_MS : beat;
  if (beat === undefined) return Math.min(DEFAULT_BEAT_INTERVAL_MS, Math.max(MIN_BEAT_INTERVAL_MS, Math.floor(hang / 4)));
  if (beat === null) throw new TypeError("PreforkIPC option 'hangTimeout' watches the children's beat, and 'beatInterval' is null (no beat)");
  if (hang < 2 * beat) {
    throw new TypeError(
      `PreforkIPC option 'hangTimeout' (${hang} ms) must be at least twice 'beatInterval' (${beat} ms): ` + 'a child one beat late would be called hung',
    );
  }
  return beat;
}

/** Spare workers are on when `minSpareWorkers` or `maxSpareWorkers` is given; their bounds are checked against each other and maxWorkers. */
function spareSettings(min: number | undefined, max: number | undefined, floor: number | undefined, maxWorkers: number): SpareSettings | undefined {
  if (min === undefined && max === undefined) {
    if (floor !== undefined) throw new TypeError("PreforkIPC option 'minWorkers' is a floor for spare workers: give 'minSpareWorkers' or 'maxSpareWorkers' too");
    return undefined;
  }
  const minSpareWorkers = min ?? DEFAULTS.minSpareWorkers;
  const maxSpareWorkers = max ?? Math.max(minSpareWorkers, 1);
  const minWorkers = floor ?? DEFAULTS.minWorkers;
  if (minSpareWorkers > maxSpareWorkers) {
    throw new TypeError(`PreforkIPC option 'minSpareWorkers' (${minSpareWorkers}) must not be above 'maxSpareWorkers' (${maxSpareWorkers})`);
  }
  if (minWorkers > maxWorkers) {
    throw new TypeError(`PreforkIPC option 'minWorkers' (${minWorkers}) must not be above 'maxWorkers' (${maxWorkers}), the ceiling`);
  }
  return { minSpareWorkers, maxSpareWorkers, minWorkers };
}
