/**
 * The JavaScript stack of a hung child, read over the inspector before the
 * child is killed. The child was started with `--inspect-port=127.0.0.1:<port>`
 * (launch/command.ts, only when `hangTimeout` is set), which opens nothing:
 * SIGUSR1 makes Node start the inspector, on a thread of its own, so a child
 * whose JavaScript is stuck in `while (true) {}` still opens it. The inspector
 * then interrupts the stuck JavaScript to run `Debugger.pause`, and
 * `Debugger.paused` carries the call frames.
 *
 * Everything is bounded by one deadline (about 1 s). Node starts the
 * inspector on SIGUSR1 from an interrupt of the JavaScript thread or from the
 * event loop, so a child whose user code listens for SIGUSR1 (then Node opens
 * nothing), one blocked inside a synchronous native call (execSync: neither
 * runs), or a port another process took gives a note saying why instead of
 * frames. Measured with scripts/hang-capture-probe.js on Node 20.20, 22.23 and
 * 24.22: 60–260 ms (a quiet, then a loaded machine) for `while (true) {}`, a catastrophic regular expression or
 * Atomics.wait (V8's interrupt wakes it); the full budget and a note for
 * execFileSync('sleep') or a SIGUSR1 listener. Loaded only when a child hangs.
 */
import net from 'node:net';
import type { HungStack, StackFrame } from '../view';
import { InspectorSession, listTargets } from './inspector-client';

/** How long the whole capture may take by default. */
export const CAPTURE_BUDGET_MS = 1000;

/** Most frames kept: a stack overflow in progress has thousands, the top ones say where. */
const MAX_FRAMES = 50;

interface CdpCallFrame {
  functionName?: string;
  url?: string;
  location?: { scriptId?: string; lineNumber?: number; columnNumber?: number };
}

/** Is `port` free on 127.0.0.1 right now? */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** V8's own shape for one frame: `    at fn (file:line:column)`. */
function frameLine(frame: StackFrame): string {
  const where = `${frame.file || '<anonymous>'}:${frame.line}:${frame.column}`;
  return frame.function ? `    at ${frame.function} (${where})` : `    at ${where}`;
}

/** The text of a stack, V8-style, under a heading line. */
export function stackText(frames: readonly StackFrame[]): string {
  return ['Hung child stack', ...frames.map(frameLine)].join('\n');
}

/** Turns CDP call frames into ours (1-based lines and columns, as in an Error's stack). */
export function toFrames(callFrames: readonly CdpCallFrame[], scripts: ReadonlyMap<string, string>): StackFrame[] {
  return callFrames.slice(0, MAX_FRAMES).map((frame) => ({
    function: frame.functionName ?? '',
    file: frame.url || scripts.get(frame.location?.scriptId ?? '') || '',
    line: (frame.location?.lineNumber ?? -1) + 1,
    column: (frame.location?.columnNumber ?? -1) + 1,
  }));
}

/**
 * SIGUSR1 to `pid`, then pause it over the inspector on 127.0.0.1:`port` and
 * read its stack. Never rejects: a failure is a `HungStack` with no frames and
 * a note. Does not kill the child; the caller does, whatever this returns.
 */
export async function captureStack(pid: number, port: number, budgetMs = CAPTURE_BUDGET_MS): Promise<HungStack> {
  const began = Date.now();
  const deadline = began + budgetMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const none = (note: string): HungStack => ({ frames: [], note, captureMs: Date.now() - began });
  let stage = 'signal';
  let session: InspectorSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  const work = async (): Promise<HungStack> => {
    // Another process on the port would answer in the child's place, or keep the child's inspector from binding.
    if (!(await portFree(port))) return none(`no stack: inspector port ${port} was taken by another process`);
    try {
      process.kill(pid, 'SIGUSR1');
    } catch (err) {
      return none(`no stack: SIGUSR1 could not be sent (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    stage = 'inspector';
    // The inspector thread binds within milliseconds; retried (at most ~20 times) until the deadline, never past it.
    let targets: Awaited<ReturnType<typeof listTargets>> | undefined;
    for (let wait = 5; targets === undefined; wait = Math.min(wait * 2, 50)) {
      try {
        targets = await listTargets(port, left());
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() + wait >= deadline) throw err;
        await delay(wait);
      }
    }
    const target = targets.find((candidate) => typeof candidate.webSocketDebuggerUrl === 'string');
    if (!target) return none('no stack: the inspector listed no target');
    stage = 'connect';
    session = await InspectorSession.connect(target.webSocketDebuggerUrl!, left());
    const scripts = new Map<string, string>();
    session.on('Debugger.scriptParsed', (params) => {
      const { scriptId, url } = params as { scriptId?: string; url?: string };
      if (scriptId && url) scripts.set(scriptId, url);
    });
    const paused = new Promise<CdpCallFrame[]>((resolve) => {
      session!.on('Debugger.paused', (params) => resolve((params as { callFrames?: CdpCallFrame[] }).callFrames ?? []));
    });
    stage = 'pause';
    // Not awaited in turn: both go out at once, and a JavaScript thread that never takes the interrupt answers neither.
    void session.call('Debugger.enable').catch(() => {});
    void session.call('Debugger.pause').catch(() => {});
    const frames = toFrames(await paused, scripts);
    return { frames, captureMs: Date.now() - began };
  };
  const timeout = new Promise<HungStack>((resolve) => {
    timer = setTimeout(() => resolve(none(noteFor(stage, budgetMs))), budgetMs);
  });
  try {
    return await Promise.race([
      work().catch((err: unknown) => none(`no stack: ${noteFor(stage, budgetMs).replace(/^no stack: /, '')} (${(err as Error).message})`)),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    session?.close();
  }
}

/** Why no stack came, by how far the capture got. */
function noteFor(stage: string, budgetMs: number): string {
  switch (stage) {
    case 'inspector':
      // Node starts the inspector from an interrupt of the JavaScript thread or from the event loop: a synchronous
      // native call (execSync, a blocking addon) runs neither, and a process.on('SIGUSR1') listener replaces it.
      return `no stack: no inspector answered within ${budgetMs} ms of SIGUSR1 (the child's code may listen for SIGUSR1, or it is blocked inside a native call such as execSync)`;
    case 'connect':
      return `no stack: the inspector's WebSocket did not open within ${budgetMs} ms`;
    case 'pause':
      return `no stack: the child did not pause within ${budgetMs} ms (blocked inside a native call?)`;
    default:
      return `no stack: the capture did not complete within ${budgetMs} ms`;
  }
}
