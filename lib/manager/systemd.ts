/**
 * The `systemd` option: tells systemd (`Type=notify` / `Type=notify-reload`)
 * what the pool is doing, as an event subscriber (events.ts), beside the pool.
 *
 * - `READY=1` once the first generation is ready (maxWorkers ready children);
 * - `RELOADING=1` + `MONOTONIC_USEC` at a reload's `begin`, `READY=1` at its
 *   `done` or `failed` (a rolled-back reload still serves: the service is ready);
 * - `STOPPING=1` at a stop (a trapped TERM, INT or QUIT, or `stop()`);
 * - `STATUS=` a one-line summary, sent with each of the above and, as the pool
 *   changes, at most once per `STATUS_INTERVAL_MS`;
 * - `WATCHDOG=1` every `WATCHDOG_USEC` / 2 while at least one child is ready.
 *
 * Node cannot send a Unix datagram (node:dgram is UDP only), so something else
 * sends: `systemd-notify` when it is on PATH (a process per message; the pool's
 * messages are few: state changes, a throttled STATUS and the watchdog), else
 * one long-lived `python3` reading one datagram per line on its stdin (≈ 10 MB
 * of RSS once, no process per message). Neither: a warning, and nothing sent.
 * Either way the sender is not the manager's pid, so the unit needs
 * `NotifyAccess=all` (docs/running.md).
 *
 * The pool's numbers come from the manager (`SystemdPool`), not from counting
 * events: diagnostics channels are process-global, and a second manager in the
 * same process would be counted too. Events only say "look again".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { warn } from '../warn';
import { subscribe, type PoolEventName } from './events';

/** The `systemd` option. */
export type SystemdOption = boolean | 'auto';

/** What the notifier reads from the pool. */
export interface SystemdPool {
  readonly maxWorkers: number;
  readonly generation: number;
  /** Children alive now, of every generation. */
  readonly numWorkers: number;
  /** Children that are ready (serving), not starting or told to stop. */
  readyCount(): number;
}

/** One datagram to the notify socket: `KEY=value` lines. */
export interface NotifySender {
  send(datagram: string): void;
  /** Lets go of the sender (the python3 process gets EOF and exits). */
  close(): void;
  /** `systemd-notify` or `python3`, for messages and tests. */
  readonly name: string;
}

/** A changing pool (say, a child per lifetime at hundreds a second) sends STATUS at most this often. */
export const STATUS_INTERVAL_MS = 1000;

/**
 * The python3 sender: one datagram per line (a JSON string, so a datagram may
 * hold newlines). An abstract socket (`@name`) starts with a NUL byte.
 * A failed send is reported on stderr, one line, and the loop goes on.
 */
const PYTHON_SENDER = [
  'import json, os, socket, sys',
  "a = os.environ['NOTIFY_SOCKET']",
  "a = '\\0' + a[1:] if a.startswith('@') else a",
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  'for line in sys.stdin:',
  '    try:',
  '        s.sendto(json.loads(line).encode(), a)',
  '    except OSError as e:',
  "        sys.stderr.write('sendto %s: %s\\n' % (a, e)); sys.stderr.flush()",
].join('\n');

/** The first executable `name` on `searchPath` (PATH's form), or undefined. */
export function findExecutable(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Forgets the process and its pipes as far as the event loop goes: the sender never keeps the manager alive. */
function detach(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
}

/** Relays a sender's stderr as warnings, a line at a time, at most a few. */
function relayErrors(child: ChildProcess, sender: string): void {
  let told = 0;
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (line.trim() === '' || told >= 3) continue;
      told++;
      warn(`systemd notification (${sender}): ${line.trim()}`);
    }
  });
}

/** `systemd-notify VAR=value …`, one process per datagram, one at a time so they arrive in order. */
function systemdNotifySender(file: string, env: NodeJS.ProcessEnv): NotifySender {
  const queue: string[] = [];
  let running = false;
  let closed = false;
  const next = (): void => {
    const datagram = queue.shift();
    if (datagram === undefined || closed) {
      running = false;
      return;
    }
    running = true;
    // It waits for systemd to have read the message (its barrier) before exiting: systemd
    // attributes a datagram to the unit by the sender's cgroup, which an exited process has left.
    const child = spawn(file, datagram.split('\n'), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.on('error', (err) => warn(`systemd notification: could not run ${file}: ${err.message}`));
    relayErrors(child, file);
    detach(child);
    child.once('close', next);
  };
  return {
    name: 'systemd-notify',
    send(datagram) {
      // A process per message can fall behind on a loaded machine (spawn + barrier took > 150 ms at a
      // load average of 20): a message already waiting is not queued twice, so WATCHDOG=1 pings cannot
      // pile up in front of a RELOADING=1.
      if (queue.includes(datagram)) return;
      queue.push(datagram);
      if (!running) next();
    },
    close() {
      closed = true;
      queue.length = 0;
    },
  };
}

/** One `python3` process for the manager's life, a line per datagram. */
function pythonSender(file: string, env: NodeJS.ProcessEnv): NotifySender {
  const child = spawn(file, ['-c', PYTHON_SENDER], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  let gone = false;
  child.on('error', (err) => {
    gone = true;
    warn(`systemd notification: could not run ${file}: ${err.message}`);
  });
  child.once('exit', () => (gone = true));
  child.stdin.on('error', () => (gone = true)); // EPIPE once it is gone: reported by 'exit'/'error'
  relayErrors(child, file);
  detach(child);
  return {
    name: 'python3',
    send(datagram) {
      if (!gone) child.stdin.write(`${JSON.stringify(datagram)}\n`);
    },
    close() {
      gone = true;
      child.stdin.end();
    },
  };
}

/** The sender for this machine: systemd-notify, else python3, else undefined (after a warning). */
export function pickSender(env: NodeJS.ProcessEnv): NotifySender | undefined {
  const notify = findExecutable('systemd-notify', env.PATH);
  if (notify) return systemdNotifySender(notify, env);
  const python = findExecutable('python3', env.PATH);
  if (python) return pythonSender(python, env);
  warn(
    'systemd: neither systemd-notify nor python3 is on PATH, so no notification (READY=1…) reaches systemd ' +
      '(Node cannot send a Unix datagram itself); install either, or use Type=simple / Type=exec',
  );
  return undefined;
}

/** A NOTIFY_SOCKET this module can send to: a path or an abstract name. */
function usableSocket(address: string): boolean {
  return address.startsWith('/') || address.startsWith('@');
}

/** Whether `mode` and `env` ask for notifications (a warning says why not, when `true` asked for them). */
export function notifyWanted(mode: SystemdOption | undefined, env: NodeJS.ProcessEnv): boolean {
  if (mode === undefined || mode === false) return false;
  const address = env.NOTIFY_SOCKET;
  if (address === undefined || address === '') {
    if (mode === true) warn("systemd: true, but NOTIFY_SOCKET is not set (is the unit Type=notify?): nothing is sent");
    return false;
  }
  if (!usableSocket(address)) {
    warn(`systemd: NOTIFY_SOCKET ${JSON.stringify(address)} is neither a path nor an abstract socket (@name): nothing is sent`);
    return false;
  }
  return true;
}

/** The watchdog interval in ms (half of WATCHDOG_USEC), or undefined when systemd asks for none of this process. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** CLOCK_MONOTONIC in µs, as `MONOTONIC_USEC` wants (libuv's hrtime is that clock on Linux). */
function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

/** The pool's state in a line (no newline: STATUS= is one line). */
export function statusLine(pool: SystemdPool, phase: string): string {
  const base = `${pool.readyCount()}/${pool.maxWorkers} workers ready, ${pool.numWorkers} running, generation ${pool.generation}`;
  return phase === '' ? base : `${phase}: ${base}`;
}

/** The events after which the pool's numbers may have changed. */
const CHANGES: PoolEventName[] = ['spawn', 'ready', 'retire', 'exit'];

/**
 * Turns pool events into notifications. Created by the manager at its first
 * `start()` when the option asks for it; holds an unref'd watchdog timer and
 * the sender, neither of which keeps the process alive.
 */
export class SystemdNotifier {
  #ready = false;
  /** `reloading` or `stopping` while one is in progress; '' otherwise. */
  #phase = '';
  #lastStatus = '';
  #statusTimer: NodeJS.Timeout | undefined;
  #lastStatusAt = -Infinity;
  #checkQueued = false;
  #watchdog: NodeJS.Timeout | undefined;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(
    private readonly pool: SystemdPool,
    private readonly sender: NotifySender,
    watchdogMs: number | undefined,
    /** The manager whose events count (events.ts: channels are process-global); undefined: any. */
    manager?: number,
  ) {
    const ours = (event: { manager: number }): boolean => manager === undefined || event.manager === manager;
    for (const name of CHANGES) this.#unsubscribe.push(subscribe(name, (event) => ours(event) && this.#changed()));
    this.#unsubscribe.push(
      subscribe('reload', (event) => {
        if (!ours(event)) return;
        if (event.step === 'begin') this.#send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`], 'reloading');
        else if (event.step === 'done' || event.step === 'failed') this.#send(['READY=1'], '');
      }),
      subscribe('stop', (event) => ours(event) && this.#send(['STOPPING=1'], 'stopping')),
    );
    if (watchdogMs !== undefined) {
      this.#watchdog = setInterval(() => {
        if (this.pool.readyCount() > 0) this.sender.send('WATCHDOG=1');
      }, watchdogMs);
      this.#watchdog.unref();
    }
    this.#changed();
  }

  /** The children changed: READY=1 the first time the pool is full of ready children, else a throttled STATUS. */
  #changed(): void {
    // Coalesced per tick, and read after the manager finished its own bookkeeping for the event.
    if (this.#checkQueued) return;
    this.#checkQueued = true;
    setImmediate(() => {
      this.#checkQueued = false;
      if (!this.#ready && this.#phase === '' && this.pool.readyCount() >= this.pool.maxWorkers) {
        this.#send(['READY=1'], '');
        return;
      }
      this.#statusLater();
    }).unref();
  }

  #statusLater(): void {
    if (this.#statusTimer) return;
    const wait = this.#lastStatusAt + STATUS_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.#sendStatus();
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      this.#sendStatus();
    }, wait);
    this.#statusTimer.unref();
  }

  #sendStatus(): void {
    const line = statusLine(this.pool, this.#phase);
    if (line === this.#lastStatus) return;
    this.#lastStatus = line;
    this.#lastStatusAt = Date.now();
    this.sender.send(`STATUS=${line}`);
  }

  /** A state change, with the STATUS line of the state it enters. */
  #send(lines: string[], phase: string): void {
    if (this.#phase === 'stopping') return; // nothing after STOPPING=1 but the exit
    this.#phase = phase;
    if (lines.includes('READY=1')) this.#ready = true;
    const line = statusLine(this.pool, phase);
    this.#lastStatus = line;
    this.#lastStatusAt = Date.now();
    this.sender.send([...lines, `STATUS=${line}`].join('\n'));
  }

  /**
   * What a child's environment loses while the manager notifies: a child that
   * calls sd_notify itself would otherwise speak for the service (NotifyAccess=all
   * accepts it), say READY=1 before the pool is (sd_notify's `unset_environment`).
   */
  readonly childEnv = { NOTIFY_SOCKET: undefined, WATCHDOG_USEC: undefined, WATCHDOG_PID: undefined } as const;

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    clearInterval(this.#watchdog);
    clearTimeout(this.#statusTimer);
    this.sender.close();
  }
}

/** Starts notifying when `mode` and the environment ask for it; undefined otherwise. */
export function startSystemdNotifier(
  mode: SystemdOption | undefined,
  pool: SystemdPool,
  manager: number,
  env: NodeJS.ProcessEnv = process.env,
): SystemdNotifier | undefined {
  if (!notifyWanted(mode, env)) return undefined;
  const sender = pickSender(env);
  if (!sender) return undefined;
  return new SystemdNotifier(pool, sender, watchdogInterval(env), manager);
}

