import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Channel } from '../protocol/channel';
import { assertNever, decodeFromChild, encodeLine, isBlankLine, ProtocolError } from '../protocol/codec';
import { PROTOCOL_VERSION, type ChildToManager, type ListenerAddress, type ManagerToChild } from '../protocol/messages';
import { exitStatus } from '../signals';
import { warn } from '../warn';
import type { CallOutcome } from './callback-server';

/** How long to wait for the child's pipe to close after the child exited (a grandchild may hold it). */
const PIPE_CLOSE_GRACE_MS = 1000;

/** What a ChildHandle needs from the manager. */
export interface ChildHandleHost {
  readonly maxMessageBytes: number;
  /** Runs the callback `name` for child `pid`; never rejects. */
  serve(name: string, pid: number, payload: unknown): Promise<CallOutcome>;
  /** The child is gone and everything it sent has been read. */
  childEnded(handle: ChildHandle, status: number): void;
}

/**
 * The manager's handle on one child process: the process, its channel, its
 * final payload. (Not to be confused with the code that runs inside the
 * child: that is child/runtime.ts.)
 */
export class ChildHandle {
  readonly pid: number;
  readonly channel: Channel;
  /** What the child passed to finish(); `hasFinalPayload` tells undefined from "never sent". */
  finalPayload: unknown = undefined;
  hasFinalPayload = false;
  /** Whether the child called finish() at all. */
  finished = false;
  /** The stop signal (TERM, INT, QUIT) the manager sent it, if any: it is draining. */
  stopSent: string | undefined;
  /**
   * It no longer counts towards maxWorkers: it was told to stop by a rolling
   * forward or a shrink, and its replacement may start while it drains.
   */
  slotReleased = false;
  #status: number | undefined;
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
      clearTimeout(this.#killTimer);
      if (!this.channel.closed) {
        this.#pipeCloseTimer = setTimeout(() => this.channel.destroy(), PIPE_CLOSE_GRACE_MS);
      }
      this.#maybeEnded();
    });
  }

  get alive(): boolean {
    return this.#status === undefined;
  }

  hello(generation: number, workerData: unknown, listeners: ListenerAddress[]): void {
    const hello = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      managerPid: process.pid,
      generation,
      workerData,
      ...(listeners.length > 0 ? { listeners } : {}),
    } as const;
    this.channel.write(encodeLine(hello, 'beforeFork() result (workerData)', workerData, this.host.maxMessageBytes));
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
    this.host.childEnded(this, this.#status);
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
      case 'finish':
        this.finished = true;
        if ('payload' in message) {
          this.finalPayload = message.payload;
          this.hasFinalPayload = true;
        }
        this.#reply(message.id, { ok: true, result: undefined });
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
    this.#send({ type: 'reply', id, error: { code: outcome.code, message: outcome.message } });
  }

  #sendHeldReplies(): void {
    while (this.#heldReplies.length > 0 && !this.channel.backlogged) this.#heldReplies.shift()!();
  }

  #send(message: ManagerToChild): void {
    this.channel.write(JSON.stringify(message) + '\n');
  }

  #onOverflow(bytes: number): void {
    warn(
      `child ${this.pid} sent a line of more than ${this.host.maxMessageBytes} bytes (maxMessageBytes) ` +
        `after ${bytes} bytes; it is treated as broken and killed`,
    );
    this.kill('SIGKILL');
    this.channel.destroy();
  }
}
