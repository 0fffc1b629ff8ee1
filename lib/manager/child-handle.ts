import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { Channel } from '../protocol/channel';
import { assertNever, decodeFromChild, encodeLine, errorReplyLine, isBlankLine, ProtocolError } from '../protocol/codec';
import { FROM_CHILD_FD, PROTOCOL_VERSION, TO_CHILD_FD, type ChildToManager, type ListenerAddress, type ManagerToChild } from '../protocol/messages';
import type { ResolvedOptions } from '../options';
import { exitStatus } from '../signals';
import { warn } from '../warn';
import type { CallOutcome } from './callback-server';
import { Lifetime } from './lifetime';
import type { ChildPhase, ChildState } from './policy';
import type { ProcessEnd } from './reap-info';
import type { RetireReason } from './retirement';
import { observed, publish } from './events';
import type { ChildBoard, Scoreboard } from './scoreboard';
import { WarnLimit } from './warn-limit';

/** How long to wait for the child's pipe to close after the child exited (a grandchild may hold it). */
const PIPE_CLOSE_GRACE_MS = 1000;

/** What a ChildHandle needs from the manager. */
export interface ChildHandleHost {
  readonly maxMessageBytes: number;
  /** The most calls from one child waiting for their answers; past it its pipe is not read. */
  readonly maxCallsInFlight: number;
  /** Runs the callback `name` for child `pid`; never rejects. */
  runCallback(name: string, pid: number, payload: unknown): Promise<CallOutcome>;
  /** The child is gone and everything it sent has been read. */
  childEnded(handle: ChildHandle, status: number, end: ProcessEnd): void;
  /** A reused child's lifetime ended with finish() (and was acknowledged); `rss` when asked for. */
  lifetimeFinished(handle: ChildHandle, lifetime: Lifetime, rss: number | undefined): void;
  /** The child said it is ready (its first `ready` message). */
  childReady(handle: ChildHandle): void;
  /** The child asks to be replaced, replacement first (recycling.ts). */
  replaceRequested(handle: ChildHandle, reason: 'requests'): void;
  /** The manager's id on the event channel (events.ts). */
  readonly eventId: number;
  /** A beat or status line arrived: the child's event loop turns (hangTimeout); `stateChanged`: busy/idle flipped (spare workers). */
  childBeat?(handle: ChildHandle, stateChanged: boolean): void;
  /** This manager's scoreboard: the handle keeps its child's board there. */
  readonly scoreboard: Scoreboard;
  /** A call to one of the library's own callbacks (`prefork-ipc:status`…), or undefined for the user's. */
  builtinCall?(name: string): Promise<CallOutcome> | undefined;
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
  /** The child is ready once its start() resolves (no `listen`, `readiness: 'auto'`). */
  readyOnStart: boolean;
  /** The child is also ready once its own listen() on one of the manager's sockets listens (`listen`, `readiness: 'auto'`). */
  readyOnListen: boolean;
  /** ms between the child's beats; undefined: no beat. */
  beatInterval?: number;
}

/** What a new child is told at its hello, from the options and the pool as it is now. */
export function helloExtras(
  options: Pick<ResolvedOptions, 'maxChildMemory' | 'listen' | 'readiness' | 'beatInterval'>,
  pool: { maxWorkers: number; reuse: boolean; listeners: ListenerAddress[]; roundRobin: boolean },
): HelloExtras {
  const auto = options.readiness === 'auto';
  return {
    ...pool,
    reportRss: pool.reuse && options.maxChildMemory !== undefined,
    readyOnStart: options.listen === undefined && auto,
    readyOnListen: options.listen !== undefined && auto && !pool.roundRobin,
    beatInterval: options.beatInterval ?? undefined,
  };
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
  currentLifetime: Lifetime | undefined;
  /** Lifetimes begun in this process. */
  lifetimesBegun = 0;
  /** Lifetimes ended with finish() (reused children). */
  served = 0;
  /** When it said it is ready (ms since the epoch); undefined while starting. */
  readyAt: number | undefined;
  /** It missed readyTimeout and was told to stop: its end is reported as 'not-ready'. */
  notReady = false;
  retired = false;
  /** The loopback port its inspector opens on SIGUSR1 (hangTimeout only): where its stack is read if it hangs. */
  inspectPort: number | undefined;
  #reuse = false;
  #overflowed = false;
  /** This child on the scoreboard (its phase, status and last beat). */
  readonly board: ChildBoard;
  #stopSent: string | undefined;
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
  /** Calls read from this child and not yet answered (their answer not yet written: held ones count). */
  #callsInFlight = 0;
  /** Warnings about its malformed lines, rate-limited (and the notices that tell the child). */
  readonly #malformed: WarnLimit;

  constructor(
    private readonly subprocess: ChildProcess & { pid: number },
    readonly generation: number,
    private readonly host: ChildHandleHost,
    /** Lifetimes this process may serve (lifetimesPerChild, plus its jitter). */
    readonly limit: number,
    /** Its slot, 0 … maxWorkers − 1, inherited from the child it replaces (docs/servers.md, "Slots"). */
    readonly slot: number,
  ) {
    this.pid = subprocess.pid;
    this.board = host.scoreboard.add(this.pid, generation);
    this.board.slot = slot;
    this.#malformed = new WarnLimit(`malformed messages from child ${this.pid}`);
    const toChild = subprocess.stdio[TO_CHILD_FD] as Writable;
    const fromChild = subprocess.stdio[FROM_CHILD_FD] as Readable;
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
      this.currentLifetime?.close();
      if (!this.channel.closed) {
        this.#pipeCloseTimer = setTimeout(() => this.channel.destroy(), PIPE_CLOSE_GRACE_MS);
      }
      this.#maybeEnded();
    });
  }

  /** The stop signal (TERM, INT, QUIT) the manager sent it, if any: it is draining. */
  get stopSent(): string | undefined {
    return this.#stopSent;
  }

  set stopSent(signal: string | undefined) {
    this.#stopSent = signal;
    if (signal !== undefined) this.host.scoreboard.setPhase(this.board, 'stopping');
  }

  get alive(): boolean {
    return this.#status === undefined;
  }

  /**
   * 'starting' until its `ready` message, 'ready' then, 'stopping' once told to stop (a signal, a
   * shrink, a retirement, a missed readyTimeout). The scoreboard and the sizing policy read it.
   */
  get phase(): ChildPhase {
    if (this.slotReleased || this.stopSent !== undefined || this.retired) return 'stopping';
    return this.readyAt === undefined ? 'starting' : 'ready';
  }

  /** What the sizing policy sees of this child (policy.ts). */
  get state(): ChildState {
    return {
      pid: this.pid,
      generation: this.generation,
      phase: this.phase,
      counted: !this.slotReleased,
      betweenLifetimes: !this.retired && this.currentLifetime === undefined,
      served: this.served,
      limit: this.limit,
      slot: this.slot,
      // Busy or idle by the child's own status (setStatus, serve()): spare workers size the pool by it.
      ...(this.phase === 'ready' && this.board.state === 'idle' ? { idleSince: this.board.since } : {}),
    };
  }

  hello(generation: number, workerData: unknown, extras: HelloExtras): void {
    const { maxWorkers, reuse, reportRss, listeners, roundRobin, readyOnStart, readyOnListen, beatInterval } = extras;
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
      ...(readyOnStart ? { readyOnStart } : {}),
      ...(readyOnListen ? { readyOnListen } : {}),
      slot: this.slot,
      ...(beatInterval === undefined ? {} : { beatInterval }),
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
    this.currentLifetime = new Lifetime(this.lifetimesBegun);
    this.host.scoreboard.lifetimeBegun(this.board);
  }

  /** No further lifetime: the child's pending start() never resolves, and it exits 0. */
  retire(reason: RetireReason): void {
    this.retired = true;
    this.host.scoreboard.setPhase(this.board, 'stopping');
    // Its replacement starts at once rather than after its exit: with lifetimesPerChild 100,
    // waiting for each exit left a slot empty for a whole process start-up.
    this.slotReleased = true;
    this.currentLifetime?.close();
    this.currentLifetime = undefined;
    this.#send({ type: 'retire', reason });
  }

  /**
   * Aborts the current lifetime (its `ppi.abortSignal`), and SIGKILLs the child if that
   * lifetime has not finished `graceMs` later. False when there is no lifetime to abort.
   */
  abortLifetime(reason: string, timeout: boolean, graceMs: number | null): boolean {
    const lifetime = this.currentLifetime;
    if (!lifetime || lifetime.finished || !this.alive) return false;
    if (timeout) lifetime.timedOut = true;
    this.#send({ type: 'abort-lifetime', lifetime: lifetime.number, reason, timeout });
    if (graceMs !== null && !lifetime.killArmed) {
      lifetime.killArmed = true;
      // On the lifetime's timers: cleared with it, so a lifetime that finishes in time disarms it.
      lifetime.later(graceMs, this.#escalation(graceMs, `finish lifetime ${lifetime.number}`, `its abort (${reason})`, () => this.currentLifetime === lifetime));
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
    this.#killTimer = setTimeout(this.#escalation(graceMs, 'exit', `SIG${asked}`, () => true), graceMs);
  }

  /**
   * The one SIGKILL escalation, for both a lifetime's abort and a stop signal: what runs when
   * `graceMs` has passed. A child already gone, or for which `stillDue()` says the wait is over,
   * is left alone; otherwise the warning names what it did not do, and it is killed.
   */
  #escalation(graceMs: number, notDone: string, since: string, stillDue: () => boolean): () => void {
    return () => {
      if (!this.alive || !stillDue()) return;
      warn(`child ${this.pid} did not ${notDone} within ${graceMs} ms (gracePeriod) of ${since}; sending SIGKILL`);
      this.kill('SIGKILL');
    };
  }

  #maybeEnded(): void {
    if (this.#ended || this.#status === undefined || !this.channel.closed) return;
    this.#ended = true;
    clearTimeout(this.#pipeCloseTimer);
    this.host.scoreboard.end(this.board);
    this.#malformed.close();
    this.host.childEnded(this, this.#status, this.#end!);
  }

  #onLine(line: Buffer): void {
    if (isBlankLine(line)) return;
    let message: ChildToManager;
    try {
      message = decodeFromChild(line);
    } catch (err) {
      const reason = (err as Error).message;
      const shown = this.#malformed.warn(() => `child ${this.pid} sent a malformed message, dropped: ${reason}`);
      const id = err instanceof ProtocolError ? err.id : undefined;
      // A call with an id is answered whatever the count: its caller waits for it.
      if (id !== undefined) this.#reply(id, { ok: false, code: 'MALFORMED', message: `malformed message: ${reason}` });
      else if (shown) this.#send({ type: 'notice', message: `the manager dropped a malformed line: ${reason}` });
      return;
    }
    switch (message.type) {
      case 'beat':
      case 'status': {
        const at = Date.now();
        const before = this.board.state;
        this.board.update(message, at);
        this.host.childBeat?.(this, this.board.state !== before);
        if (message.type === 'beat') {
          if (observed('beat')) publish('beat', { pid: this.pid, manager: this.host.eventId, at, beat: { ...message } });
        } else if (observed('status')) {
          publish('status', { pid: this.pid, state: message.state, ...(message.note === undefined ? {} : { note: message.note }), manager: this.host.eventId, at });
        }
        return;
      }
      case 'finish': {
        const lifetime = this.currentLifetime;
        if (lifetime && !lifetime.finished) {
          lifetime.finished = true;
          lifetime.code = message.code ?? 0;
          lifetime.served = message.served;
          if ('payload' in message) {
            lifetime.payload = message.payload;
            lifetime.hasPayload = true;
          }
        }
        if (!(this.#reuse && lifetime && this.currentLifetime === lifetime)) {
          this.#reply(message.id, { ok: true, result: undefined });
          return;
        }
        // The acknowledgement and what follows it (the next lifetime, or retire) in one write.
        this.channel.together(() => {
          this.#reply(message.id, { ok: true, result: undefined });
          this.served++;
          lifetime.close();
          this.currentLifetime = undefined;
          this.host.lifetimeFinished(this, lifetime, message.rss);
        });
        return;
      }
      case 'ready':
        if (this.readyAt !== undefined) return;
        this.readyAt = Date.now();
        if (this.board.phase === 'starting') this.host.scoreboard.setPhase(this.board, 'ready');
        this.host.childReady(this);
        return;
      case 'crash':
        // Whatever lifetime the child counted itself in (a crash between finish() and the next
        // start() names the last one begun), it ends the lifetime the manager has open.
        if (this.currentLifetime) this.currentLifetime.error = message.error;
        return;
      case 'replace':
        this.host.replaceRequested(this, message.reason);
        return;
      case 'call': {
        const { id, name, payload } = message;
        // Past the bound, read no further calls until answers go out: the child's callback()
        // waits in its own process, and the manager's memory stays bounded (≈ 1.4 KB a call).
        if (++this.#callsInFlight >= this.host.maxCallsInFlight) this.channel.readPaused = true;
        const started = performance.now();
        const serving = this.host.builtinCall?.(name) ?? this.host.runCallback(name, this.pid, payload);
        void serving.then((outcome) => {
          this.host.scoreboard.callbackDone(name, outcome.ok, (performance.now() - started) / 1000);
          this.#reply(id, outcome, name, true);
        });
        return;
      }
      default:
        assertNever(message);
    }
  }

  #reply(id: number, outcome: CallOutcome, name?: string, call = false): void {
    // A child that died while its handler ran gets no answer, and nobody gets an error.
    if (this.channel.closed) return;
    if (this.channel.backlogged || this.#heldReplies.length > 0) {
      this.#heldReplies.push(() => this.#writeReply(id, outcome, name, call));
      return;
    }
    this.#writeReply(id, outcome, name, call);
  }

  #writeReply(id: number, outcome: CallOutcome, name: string | undefined, call: boolean): void {
    if (call && --this.#callsInFlight < this.host.maxCallsInFlight) this.channel.readPaused = false;
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
    // Sized like every other line: a long error message (or a long callback name in it) is cut
    // to fit, rather than sent over the child's limit, which would end the child.
    const { code, message, cause } = outcome;
    this.channel.write(errorReplyLine(id, cause ? { code, message, cause } : { code, message }, this.host.maxMessageBytes));
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
