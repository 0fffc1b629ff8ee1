import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

const started = new Set<ChildProcess>();

// A failed test must not leave its manager (and so its children) running and keep jest alive.
afterEach(() => {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
});

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

/** Starts a fixture (a path under spec/fixtures, or a command) as a real subprocess. */
export function start(args: string[], options: SpawnOptions & { command?: string } = {}): Running {
  const command = options.command ?? process.execPath;
  const resolved = options.command ? args : [path.join(FIXTURES, args[0]), ...args.slice(1)];
  const child = spawn(command, resolved, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  started.add(child);
  child.on('exit', () => started.delete(child));
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
