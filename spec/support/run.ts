import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const ROOT = path.join(__dirname, '..', '..');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON value per line (lines that are not JSON are skipped). */
  events: Array<Record<string, unknown>>;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout contains `text` (or matches it). */
  waitFor(text: string | RegExp | ((stdout: string) => boolean), timeoutMs?: number, label?: string): Promise<void>;
  /** Resolves when stdout holds at least `count` JSON lines with `"event": name`. */
  waitForEvents(name: string, count: number, timeoutMs?: number): Promise<void>;
  /** The JSON lines printed so far with `"event": name`. */
  events(name?: string): Array<Record<string, unknown>>;
  done: Promise<Finished>;
}

/**
 * Clean-up that does not depend on the library under test. Every process a spec
 * starts through this module leads a process group of its own (`detached: true`),
 * and the manager's children, grandchildren and orphans stay in that group. When
 * the test ends, passed or failed, the whole group gets SIGKILL: a regression
 * that leaves children behind (say, broken orphan protection) fails its test in
 * seconds instead of keeping jest's output pipes open and hanging the run.
 * A group started while a test runs is killed after that test; one started in
 * `beforeAll` (scope 'file') after the file's last test. Should the test process
 * itself die first (Ctrl-C, a crash), spec/support/reaper.js kills what is left.
 */
const groups = { test: new Set<number>(), file: new Set<number>() };
let reaper: ChildProcess | undefined;

function tellReaper(line: string): void {
  if (!reaper) {
    reaper = spawn(process.execPath, [path.join(__dirname, 'reaper.js')], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.on('error', () => {});
    reaper.stdin!.on('error', () => {});
    // Neither the reaper nor its pipe may keep the test process alive.
    reaper.unref();
    (reaper.stdin as unknown as { unref(): void }).unref();
  }
  reaper.stdin!.write(`${line}\n`);
}

/** Sends SIGKILL to every process in the group `pgid`; false when none was left. */
export function killGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

function cleanUp(scope: Set<number>): void {
  for (const pgid of scope) {
    killGroup(pgid);
    tellReaper(`-${pgid}`);
  }
  scope.clear();
}

afterEach(() => cleanUp(groups.test));
afterAll(() => {
  cleanUp(groups.file);
  // Nothing is left for it to watch: EOF lets the reaper exit (with an empty list) now, not with the test process.
  reaper?.stdin!.end();
  reaper = undefined;
});

/**
 * spawn(), with the child as the leader of a new process group that is killed
 * (with everything in it) when the test ends, or with scope 'file' when the spec file ends.
 * `process.kill(-child.pid, signal)` reaches the whole group, as Ctrl-C would.
 */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions, scope: 'test' | 'file' = 'test'): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid !== undefined) {
    groups[scope].add(child.pid);
    tellReaper(`+${child.pid}`);
  }
  return child;
}

/** The pids of the live (not zombie) processes in the process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

function parseEvents(stdout: string): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not an event line */
    }
  }
  return events;
}

/** Starts a fixture (a path under spec/fixtures, or a command) as a real subprocess, in a process group of its own (see spawnInGroup). */
export function start(args: string[], options: SpawnOptions & { command?: string } = {}): Running {
  const command = options.command ?? process.execPath;
  const resolved = options.command ? args : [path.join(FIXTURES, args[0]), ...args.slice(1)];
  const child = spawnInGroup(command, resolved, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const check of watchers) check();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err, events: parseEvents(out) }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    events: (name) => parseEvents(out).filter((e) => name === undefined || e.event === name),
    waitForEvents(name, count, timeoutMs) {
      return this.waitFor((all) => parseEvents(all).filter((e) => e.event === name).length >= count, timeoutMs, `${count} '${name}' events`);
    },
    waitFor(text, timeoutMs = 20_000, label = String(text)) {
      return new Promise((resolve, reject) => {
        const matches = (): boolean =>
          typeof text === 'string' ? out.includes(text) : typeof text === 'function' ? text(out) : text.test(out);
        if (matches()) return resolve();
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out waiting for ${label}; stdout so far:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const check = (): void => {
          if (!matches()) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
        void done.then(() => {
          if (watchers.has(check)) {
            watchers.delete(check);
            clearTimeout(timer);
            if (matches()) resolve();
            else reject(new Error(`process ended before ${label}; stdout:\n${out}\nstderr:\n${err}`));
          }
        });
      });
    },
    done,
  };
}

/** Runs a fixture to completion. */
export function run(args: string[], options: SpawnOptions & { command?: string } = {}): Promise<Finished> {
  return start(args, options).done;
}

/**
 * Whether a process with this pid is running. A zombie (dead, not yet reaped by whoever
 * inherited it after its manager died) counts as gone: kill(pid, 0) would still succeed.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Resolves once none of the pids is alive, or rejects after `timeoutMs`. Used only in tests. */
export async function waitGone(pids: number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) throw new Error(`still alive after ${timeoutMs} ms: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
