import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Channel } from '../protocol/channel';
import { assertNever, decodeFromChild, encodeLine, isBlankLine, ProtocolError } from '../protocol/codec';
import { PROTOCOL_VERSION, type ChildToManager, type ListenerAddress, type ManagerToChild } from '../protocol/messages';
import { exitStatus } from '../signals';
import { warn } from '../warn';
import type { CallOutcome } from './callback-server';
import { Lifetime } from './lifetime';
import type { ProcessEnd } from './reap-info';
import type { RetireReason } from './retirement';

/** How long to wait for the child's pipe to close after the child exited (a grandchild may hold it). */
const PIPE_CLOSE_GRACE_MS = 1000;

/** What a ChildHandle needs from the manager. */
export interface ChildHandleHost {
  readonly maxMessageBytes: number;
  /** Runs the callback `name` for child `pid`; never rejects. */
  serve(name: string, pid: number, payload: unknown): Promise<CallOutcome>;
  /** The child is gone and everything it sent has been read. */
  childEnded(handle: ChildHandle, status: number, end: ProcessEnd): void;
  /** A reused child's lifetime ended with finish() (and was acknowledged); `rss` when asked for. */
  lifetimeFinished(handle: ChildHandle, lifetime: Lifetime, rss: number | undefined): void;
  /** The child asks to be replaced, replacement first (recycling.ts). */
  replaceRequested(handle: ChildHandle, reason: 'requests'): void;
}

/** What the hello tells a child besides who and which generation. */
export interface HelloExtras {
  maxWorkers: number;
  /** The `listen` option's sockets (issue 11); empty without it. */
  listeners: ListenerAddress[];
  reuse: boolean;
  reportRss: boolean;
  /** `balance: 'round-robin'`: the child takes connections from the manager on its IPC channel. */
  roundRobin: boolean;
}

/**
 * The manager's handle on one child process: the process, its channel, its
 * final payload. (Not to be confused with the code that runs inside the
 * child: that is child/runtime.ts.)
 */
export class ChildHandle {
  readonly pid: number;
  readonly channel: Channel;
  /** The lifetime this process is in (or was handed and has not begun); undefined once retired. */
  lifetime: Lifetime | undefined;
  /** Lifetimes begun in this process. */
  lifetimesBegun = 0;
  /** Lifetimes ended with finish() (reused children). */
  served = 0;
  retired = false;
  #reuse = false;
  #overflowed = false;
  /** The stop signal (TERM, INT, QUIT) the manager sent it, if any: it is draining. */
  stopSent: string | undefined;
  /**
   * It no longer counts towards maxWorkers: it was told to stop by a rolling
   * forward or a shrink, and its replacement may start while it drains.
   */
  slotReleased = false;
  #status: number | undefined;
  #end: ProcessEnd | undefined;
  #ended = false;
  #pipeCloseTimer: NodeJS.Timeout | undefined;
  /**
   * Answers ready while the child is not reading: kept as values, serialised
   * only once the pipe drains, so a child that stops reading costs the manager
   * no copies of its results (and no new calls are read from it meanwhile).
   */
  #heldReplies: Array<() => void> = [];
  #killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly subprocess: ChildProcess & { pid: number },
    readonly generation: number,
    private readonly host: ChildHandleHost,
    /** Lifetimes this process may serve (lifetimesPerChild, plus its jitter). */
    readonly limit: number,
  ) {
    this.pid = subprocess.pid;
    const [, , , toChild, fromChild] = subprocess.stdio as unknown as [unknown, unknown, unknown, Writable, Readable];
    this.channel = new Channel(fromChild, toChild, host.maxMessageBytes, {
      line: (line) => this.#onLine(line),
      overflow: (bytes) => this.#onOverflow(bytes),
      closed: () => this.#maybeEnded(),
      drained: () => this.#sendHeldReplies(),
    }, { pauseInputWhileBacklogged: true });
    subprocess.on('error', () => {
      /* a failed kill() of a process that is already gone; 'exit' tells the rest */
    });
    subprocess.once('exit', (code, signal) => {
      this.#status = exitStatus(code, signal);
      this.#end = { code, signal, overflowed: this.#overflowed };
      clearTimeout(this.#killTimer);
      this.lifetime?.close();
      if (!this.channel.closed) {
        this.#pipeCloseTimer = setTimeout(() => this.channel.destroy(), PIPE_CLOSE_GRACE_MS);
      }
      this.#maybeEnded();
    });
  }

  get alive(): boolean {
    return this.#status === undefined;
  }

  hello(generation: number, workerData: unknown, extras: HelloExtras): void {
    const { maxWorkers, reuse, reportRss, listeners, roundRobin } = extras;
    // reuse and reportRss only when on, so a default hello stays as it was.
    const hello = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      managerPid: process.pid,
      generation,
      workerData,
      ...(listeners.length > 0 ? { listeners } : {}),
      maxWorkers,
      ...(reuse ? { reuse } : {}),
      ...(reportRss ? { reportRss } : {}),
      ...(roundRobin ? { balance: 'round-robin' as const } : {}),
    } as const;
    this.#reuse = reuse;
    this.channel.write(encodeLine(hello, 'beforeFork() result (workerData)', workerData, this.host.maxMessageBytes));
    this.#openLifetime();
  }

  /** A reused child's next lifetime. Throws a ProtocolError when workerData cannot be sent. */
  beginLifetime(workerData: unknown, maxWorkers: number): void {
    const message = { type: 'next-lifetime', lifetime: this.lifetimesBegun + 1, maxWorkers, workerData } as const;
    this.channel.write(encodeLine(message, 'beforeFork() result (workerData)', workerData, this.host.maxMessageBytes));
    this.#openLifetime();
  }

  #openLifetime(): void {
    this.lifetimesBegun++;
    this.lifetime = new Lifetime(this.lifetimesBegun);
  }

  /** No further lifetime: the child's pending start() never resolves, and it exits 0. */
  retire(reason: RetireReason): void {
    this.retired = true;
    // Its replacement starts at once rather than after its exit: with lifetimesPerChild 100,
    // waiting for each exit left a slot empty for a whole process start-up.
    this.slotReleased = true;
    this.lifetime?.close();
    this.lifetime = undefined;
    this.#send({ type: 'retire', reason });
  }

  /**
   * Aborts the current lifetime (its `ppi.abortSignal`), and SIGKILLs the child if that
   * lifetime has not finished `graceMs` later. False when there is no lifetime to abort.
   */
  abortLifetime(reason: string, timeout: boolean, graceMs: number | null): boolean {
    const lifetime = this.lifetime;
    if (!lifetime || lifetime.finished || !this.alive) return false;
    if (timeout) lifetime.timedOut = true;
    this.#send({ type: 'abort-lifetime', lifetime: lifetime.number, reason, timeout });
    if (graceMs !== null && !lifetime.killArmed) {
      lifetime.killArmed = true;
      lifetime.later(graceMs, () => {
        if (!this.alive || this.lifetime !== lifetime) return;
        warn(`child ${this.pid} did not finish lifetime ${lifetime.number} within ${graceMs} ms (gracePeriod) of its abort (${reason}); sending SIGKILL`);
        this.kill('SIGKILL');
      });
    }
    return true;
  }

  /** A ppi.send() message. Throws a ProtocolError for a value JSON cannot carry; false when the child is gone. */
  sendMessage(payload: unknown): boolean {
    if (!this.alive || this.channel.closed) return false;
    this.channel.write(encodeLine({ type: 'message', payload }, 'the message', payload, this.host.maxMessageBytes));
    return true;
  }

  kill(signal: NodeJS.Signals): boolean {
    if (!this.alive) return false;
    try {
      return this.subprocess.kill(signal);
    } catch {
      return false;
    }
  }

  /** Sends SIGKILL if the child is still alive `graceMs` from now (it was asked to stop with `asked`). */
  killLater(graceMs: number, asked: string): void {
    if (!this.alive || this.#killTimer) return;
    this.#killTimer = setTimeout(() => {
      if (!this.alive) return;
      warn(`child ${this.pid} did not exit within ${graceMs} ms (gracePeriod) of SIG${asked}; sending SIGKILL`);
      this.kill('SIGKILL');
    }, graceMs);
  }

  #maybeEnded(): void {
    if (this.#ended || this.#status === undefined || !this.channel.closed) return;
    this.#ended = true;
    clearTimeout(this.#pipeCloseTimer);
    this.host.childEnded(this, this.#status, this.#end!);
  }

  #onLine(line: Buffer): void {
    if (isBlankLine(line)) return;
    let message: ChildToManager;
    try {
      message = decodeFromChild(line);
    } catch (err) {
      const reason = (err as Error).message;
      warn(`child ${this.pid} sent a malformed message, dropped: ${reason}`);
      const id = err instanceof ProtocolError ? err.id : undefined;
      if (id !== undefined) this.#reply(id, { ok: false, code: 'MALFORMED', message: `malformed message: ${reason}` });
      else this.#send({ type: 'notice', message: `the manager dropped a malformed line: ${reason}` });
      return;
    }
    switch (message.type) {
      case 'finish': {
        const lifetime = this.lifetime;
        if (lifetime && !lifetime.finished) {
          lifetime.finished = true;
          lifetime.code = message.code ?? 0;
          if ('payload' in message) {
            lifetime.payload = message.payload;
            lifetime.hasPayload = true;
          }
        }
        if (!(this.#reuse && lifetime && this.lifetime === lifetime)) {
          this.#reply(message.id, { ok: true, result: undefined });
          return;
        }
        // The acknowledgement and what follows it (the next lifetime, or retire) in one write.
        this.channel.together(() => {
          this.#reply(message.id, { ok: true, result: undefined });
          this.served++;
          lifetime.close();
          this.lifetime = undefined;
          this.host.lifetimeFinished(this, lifetime, message.rss);
        });
        return;
      }
      case 'crash':
        // Whatever lifetime the child counted itself in (a crash between finish() and the next
        // start() names the last one begun), it ends the lifetime the manager has open.
        if (this.lifetime) this.lifetime.error = message.error;
        return;
      case 'replace':
        this.host.replaceRequested(this, message.reason);
        return;
      case 'call': {
        const { id, name, payload } = message;
        void this.host.serve(name, this.pid, payload).then((outcome) => this.#reply(id, outcome, name));
        return;
      }
      default:
        assertNever(message);
    }
  }

  #reply(id: number, outcome: CallOutcome, name?: string): void {
    // A child that died while its handler ran gets no answer, and nobody gets an error.
    if (this.channel.closed) return;
    if (this.channel.backlogged || this.#heldReplies.length > 0) {
      this.#heldReplies.push(() => this.#writeReply(id, outcome, name));
      return;
    }
    this.#writeReply(id, outcome, name);
  }

  #writeReply(id: number, outcome: CallOutcome, name?: string): void {
    if (this.channel.closed) return;
    if (outcome.ok) {
      try {
        const reply = { type: 'reply', id, result: outcome.result } as const;
        this.channel.write(encodeLine(reply, `the result of callback '${name}'`, outcome.result, this.host.maxMessageBytes));
        return;
      } catch (err) {
        // A ProtocolError says what is wrong; anything else (say, a result too long for
        // a JavaScript string) still must not take the manager down.
        const reason = err instanceof ProtocolError ? err.message : `the result of callback '${name}' cannot be sent: ${String(err)}`;
        warn(`child ${this.pid}: ${reason}; the child's call fails`);
        outcome = { ok: false, code: 'BAD_RESULT', message: reason };
      }
    }
    const error = { code: outcome.code, message: outcome.message };
    if (outcome.cause) {
      try {
        const reply = { type: 'reply', id, error: { ...error, cause: outcome.cause } } as const;
        this.channel.write(encodeLine(reply, `the error of callback '${name}'`, undefined, this.host.maxMessageBytes));
        return;
      } catch {
        /* a cause too large for maxMessageBytes: the error goes without it */
      }
    }
    this.#send({ type: 'reply', id, error });
  }

  #sendHeldReplies(): void {
    while (this.#heldReplies.length > 0 && !this.channel.backlogged) this.#heldReplies.shift()!();
  }

  #send(message: ManagerToChild): void {
    this.channel.write(JSON.stringify(message) + '\n');
  }

  #onOverflow(bytes: number): void {
    this.#overflowed = true;
    warn(
      `child ${this.pid} sent a line of more than ${this.host.maxMessageBytes} bytes (maxMessageBytes) ` +
        `after ${bytes} bytes; it is treated as broken and killed`,
    );
    this.kill('SIGKILL');
    this.channel.destroy();
  }
}
