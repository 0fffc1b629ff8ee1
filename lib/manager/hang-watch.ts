/**
 * The `hangTimeout` watchdog. A child's beat comes from a timer in its own
 * event loop, so a loop stuck in synchronous code stops beating while a child
 * busy with timers, I/O or awaited promises keeps beating. One unref'd timer
 * per child, armed at spawn and pushed back by each beat (`refresh()`: no new
 * timer, no allocation): nothing polls, and an idle pool costs one timer
 * re-arm per child per beat.
 *
 * When a timer fires, the child is hung: its stack is read over the inspector
 * (stack-capture.ts, loaded only then, bounded at about 1 s), then it is
 * SIGKILLed, and its lifetime is reaped with reason `'hung'` and the stack.
 */
import type { HungStack } from '../view';
import { warn } from '../warn';

/** What the watchdog needs of a child (ChildHandle has it). */
export interface WatchedChild {
  readonly pid: number;
  readonly alive: boolean;
  /** The loopback port its inspector opens on SIGUSR1; undefined: none we may use. */
  readonly inspectPort: number | undefined;
  /** Its scoreboard slot, when the pool numbers them. */
  readonly slot?: number;
  /** The lifetime the child is in, if any: its reap says 'hung'. */
  readonly currentLifetime: { hung: HungStack | undefined; finished: boolean } | undefined;
  kill(signal: NodeJS.Signals): boolean;
}

/** Reads a hung child's stack; replaced in unit tests. */
export type Capture = (pid: number, port: number) => Promise<HungStack>;

const realCapture: Capture = (pid, port) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: only a manager with a hung child needs the inspector client
  const { captureStack } = require('./stack-capture') as typeof import('./stack-capture');
  return captureStack(pid, port);
};

/** The top frame, for the warning line: `spin (/app/work.js:10:3)`. */
export function topFrame(stack: HungStack): string {
  const top = stack.frames[0];
  if (!top) return stack.note ?? 'no stack';
  return `top frame ${top.function || '<anonymous>'} (${top.file}:${top.line}:${top.column})`;
}

export class HangWatch {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  /** Hung children whose stack is being read (a second firing must not start a second capture). */
  readonly #capturing = new Set<number>();

  constructor(
    readonly timeoutMs: number,
    private readonly capture: Capture = realCapture,
    private readonly onKilled: (child: WatchedChild, stack: HungStack) => void = () => {},
  ) {}

  /** From spawn: a child that never beats is hung `timeoutMs` after it. */
  watch(child: WatchedChild): void {
    this.forget(child.pid);
    const timer = setTimeout(() => {
      this.#timers.delete(child.pid);
      void this.#hung(child);
    }, this.timeoutMs);
    timer.unref();
    this.#timers.set(child.pid, timer);
  }

  /** A beat arrived: the child's loop turns, counted again from now. */
  beat(pid: number): void {
    this.#timers.get(pid)?.refresh();
  }

  /** The child is gone (or no longer watched). */
  forget(pid: number): void {
    clearTimeout(this.#timers.get(pid));
    this.#timers.delete(pid);
  }

  /** How many children are watched now (tests, and the idle-cost check). */
  get size(): number {
    return this.#timers.size;
  }

  async #hung(child: WatchedChild): Promise<void> {
    if (!child.alive || this.#capturing.has(child.pid)) return;
    this.#capturing.add(child.pid);
    const lifetime = child.currentLifetime && !child.currentLifetime.finished ? child.currentLifetime : undefined;
    const began = Date.now();
    // Set at once: should the child end during the capture, its reap already says 'hung'.
    if (lifetime) lifetime.hung = { frames: [], note: 'no stack: the child ended while its stack was being read', captureMs: 0 };
    let stack: HungStack;
    if (child.inspectPort === undefined) {
      stack = { frames: [], note: "no stack: the child runs under the user's own --inspect flags", captureMs: 0 };
    } else {
      try {
        stack = await this.capture(child.pid, child.inspectPort);
      } catch (err) {
        stack = { frames: [], note: `no stack: ${(err as Error).message}`, captureMs: Date.now() - began };
      }
    }
    this.#capturing.delete(child.pid);
    if (!child.alive) return;
    if (lifetime) lifetime.hung = stack;
    const slot = child.slot === undefined ? '' : ` (slot ${child.slot})`;
    warn(`child ${child.pid}${slot} is hung: no beat for ${this.timeoutMs} ms (hangTimeout); sending SIGKILL; ${topFrame(stack)}`);
    child.kill('SIGKILL');
    this.onKilled(child, stack);
  }
}
