import type { Readable, Writable } from 'node:stream';
import { LineSplitter } from './line-splitter';

/**
 * A line this long goes to the socket as bytes we encoded: ASCII (what
 * JSON.stringify usually gives) encoded as latin1 is one quick copy, where the
 * socket's own UTF-8 encoding walks the string twice (≈ 270 ms for 100 MB).
 */
const LARGE_LINE = 1 << 20;
const NON_ASCII = /[\u0080-\uffff]/;

type WriteDone = (error?: Error | null) => void;

/** Channels holding lines back until the end of the tick (see Channel.write). */
const holding = new Set<Channel>();
// process.exit() does not wait for the end of the tick: send what is held
// first, as the lines would have been had each gone out at once.
process.on('exit', () => {
  for (const channel of holding) channel.flushHeld();
});

export interface ChannelEvents {
  /** One complete line, without its newline. Valid only during the call (it may be a view of a reused read buffer): copy it to keep it. */
  line(line: Buffer): void;
  /** A line grew past the limit; the channel has stopped reading. */
  overflow(bytesSoFar: number): void;
  /** What we wrote has all been taken by the other side again (see `backlogged`). */
  drained?(): void;
  /** Nothing more will be read: the other side closed its end (EOF) or the read failed. Called once. */
  closed(): void;
}

export interface ChannelOptions {
  /**
   * Stop reading while what we wrote has not been taken by the other side
   * (the manager side sets this): a peer that sends requests but never reads
   * the answers must not grow our memory. Only one side may do it, or each
   * could wait for the other.
   */
  pauseInputWhileBacklogged?: boolean;
  /**
   * The input hands its bytes to `receive()` (a socket made with `onread`)
   * instead of emitting 'data'. Its 'end', 'close' and 'error' still close
   * the channel, and pause() still stops it.
   */
  inputCallsReceive?: boolean;
}

/** Something that can be kept from holding the event loop open: a net.Socket. */
interface Refable {
  ref(): unknown;
  unref(): unknown;
}

/**
 * One side of the pipe pair: lines in, lines out. It knows nothing of message
 * shapes (see codec.ts) and never throws at its user: a write to a side that
 * has gone away is dropped. Only the reading side decides `closed`, so a
 * failed write never cuts short the reading of what the peer already sent.
 */
export class Channel {
  readonly #input: Readable & Partial<Refable>;
  readonly #output: Writable & Partial<Refable>;
  readonly #splitter: LineSplitter;
  #closed = false;
  #outputDead = false;
  #overflowed = false;
  #backlogged = false;
  /** The user stopped reading (readPaused): nothing but resumeReading() starts it again. */
  #readPaused = false;
  /** Whether a line already left in this tick; later ones are held until its end. */
  #wroteThisTick = false;
  #held: string[] = [];
  #heldDone: WriteDone[] = [];
  readonly #endTick = (): void => {
    this.#wroteThisTick = false;
    this.flushHeld();
  };

  constructor(
    input: Readable,
    output: Writable,
    maxLineBytes: number,
    private readonly events: ChannelEvents,
    private readonly options: ChannelOptions = {},
  ) {
    this.#input = input;
    this.#output = output;
    // maxLineBytes counts the newline, as encodeLine() does when it refuses to send a line;
    // the splitter counts a line's own bytes.
    this.#splitter = new LineSplitter(maxLineBytes - 1, (line) => events.line(line), (bytes) => this.#overflow(bytes));
    if (!options.inputCallsReceive) input.on('data', (chunk: Buffer) => this.#splitter.push(chunk));
    input.on('end', () => this.#close());
    input.on('close', () => this.#close());
    // EPIPE / ECONNRESET when the other process died: not our user's problem.
    input.on('error', () => this.#close());
    output.on('error', () => {
      this.#outputDead = true;
    });
    output.on('drain', () => {
      if (!this.#backlogged) return;
      this.#backlogged = false;
      if (!this.#overflowed && !this.#readPaused) this.#input.resume();
      events.drained?.();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes read by an `inputCallsReceive` input: a view of its reused buffer, valid only during this call. */
  receive(chunk: Buffer): void {
    this.#splitter.push(chunk, true);
  }

  /** The other side has not taken what we wrote yet (with `pauseInputWhileBacklogged`): hold further output. */
  get backlogged(): boolean {
    return this.#backlogged;
  }

  /**
   * Stops reading (`true`) until set back to `false`: the manager's bound on a
   * child's calls in flight. Lines of a chunk already read are still delivered.
   * Independent of the pause for backlogged output: reading resumes only when
   * neither holds it.
   */
  set readPaused(paused: boolean) {
    if (this.#readPaused === paused) return;
    this.#readPaused = paused;
    if (paused) this.#input.pause();
    else if (!this.#backlogged && !this.#overflowed && !this.#closed) this.#input.resume();
  }

  get readPaused(): boolean {
    return this.#readPaused;
  }

  /** Bytes handed to the stream but not yet to the kernel, plus lines held in this tick. */
  get queuedBytes(): number {
    return this.#output.writableLength + this.#held.reduce((sum, line) => sum + line.length, 0);
  }

  /** Queues a line; `done` runs once the bytes are handed to the kernel (or the write failed). */
  write(line: string, done?: WriteDone): void {
    if (this.#cannotWrite()) {
      done?.(new Error('channel closed'));
      return;
    }
    if (line.length >= LARGE_LINE) {
      this.flushHeld(); // keep the order
      this.#send(NON_ASCII.test(line) ? line : Buffer.from(line, 'latin1'), done);
      return;
    }
    // The first line of a tick leaves at once, as it always did. Lines after
    // it in the same tick are held and leave together in one write() at the
    // end of the tick: with many calls in flight, one write() per line (and
    // the wake-up of the reader each causes) was most of the manager's time.
    if (this.#wroteThisTick) {
      if (this.#held.length === 0) holding.add(this);
      this.#held.push(line);
      if (done) this.#heldDone.push(done);
      return;
    }
    this.#wroteThisTick = true;
    process.nextTick(this.#endTick);
    this.#send(line, done);
  }

  /**
   * Runs `fn`; the lines it writes leave together in one write() when it
   * returns (or at the end of the tick, if a line already left in this one).
   * A reused child's acknowledgement and its next lifetime go this way: sent
   * apart, the child woke twice per lifetime (bench/: lifetime rate).
   */
  together(fn: () => void): void {
    if (this.#wroteThisTick) return fn();
    this.#wroteThisTick = true;
    process.nextTick(this.#endTick);
    try {
      fn();
    } finally {
      this.flushHeld();
    }
  }

  /** Sends the lines held back in this tick, as one write. */
  flushHeld(): void {
    if (this.#held.length === 0) return;
    const text = this.#held.length === 1 ? this.#held[0] : this.#held.join('');
    const dones = this.#heldDone;
    this.#held = [];
    this.#heldDone = [];
    holding.delete(this);
    if (this.#cannotWrite()) {
      for (const done of dones) done(new Error('channel closed'));
      return;
    }
    this.#send(text, dones.length === 0 ? undefined : (error) => dones.forEach((done) => done(error)));
  }

  #cannotWrite(): boolean {
    return this.#outputDead || this.#output.destroyed;
  }

  #send(data: string | Buffer, done?: WriteDone): void {
    const accepted = this.#output.write(data, done);
    if (!accepted && this.options.pauseInputWhileBacklogged && !this.#backlogged && !this.#cannotWrite()) {
      this.#backlogged = true;
      this.#input.pause();
    }
  }

  /** Whether the channel holds the event loop open. */
  setRef(holdOpen: boolean): void {
    for (const stream of [this.#input, this.#output]) {
      if (holdOpen) stream.ref?.();
      else stream.unref?.();
    }
  }

  destroy(): void {
    this.flushHeld(); // what was written before destroy() leaves, as it did when each line went out at once
    this.#input.destroy();
    this.#output.destroy();
    this.#close();
  }

  #overflow(bytes: number): void {
    this.#overflowed = true;
    this.#input.pause();
    this.events.overflow(bytes);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.events.closed();
  }
}
