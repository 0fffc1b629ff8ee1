import type { Readable, Writable } from 'node:stream';
import { LineSplitter } from './line-splitter';

/**
 * A line this long goes to the socket as bytes we encoded: ASCII (what
 * JSON.stringify usually gives) encoded as latin1 is one quick copy, where the
 * socket's own UTF-8 encoding walks the string twice (≈ 270 ms for 100 MB).
 */
const LARGE_LINE = 1 << 20;
const NON_ASCII = /[^\x00-\x7f]/;

type WriteDone = (error?: Error | null) => void;

/** Channels holding lines back until the end of the tick (see Channel.write). */
const holding = new Set<Channel>();
// process.exit() does not wait for the end of the tick: send what is held
// first, as the lines would have been had each gone out at once.
process.on('exit', () => {
  for (const channel of holding) channel.flushHeld();
});

export interface ChannelEvents {
  /** One complete line, without its newline. */
  line(line: Buffer): void;
  /** A line grew past the limit; the channel has stopped reading. */
  overflow(bytesSoFar: number): void;
  /** The other side is gone (EOF or a broken pipe). Called once. */
  closed(): void;
}

/** Something that can be kept from holding the event loop open: a net.Socket. */
interface Refable {
  ref(): unknown;
  unref(): unknown;
}

/**
 * One side of the pipe pair: lines in, lines out. It knows nothing of message
 * shapes (see codec.ts) and never throws at its user: a write to a side that
 * has gone away is dropped, because the reader will report `closed` anyway.
 */
export class Channel {
  readonly #input: Readable & Partial<Refable>;
  readonly #output: Writable & Partial<Refable>;
  readonly #splitter: LineSplitter;
  #closed = false;
  /** Whether a line already left in this tick; later ones are held until its end. */
  #wroteThisTick = false;
  #held: string[] = [];
  #heldDone: WriteDone[] = [];
  readonly #endTick = (): void => {
    this.#wroteThisTick = false;
    this.flushHeld();
  };

  constructor(input: Readable, output: Writable, maxLineBytes: number, private readonly events: ChannelEvents) {
    this.#input = input;
    this.#output = output;
    this.#splitter = new LineSplitter(maxLineBytes, (line) => events.line(line), (bytes) => this.#overflow(bytes));
    input.on('data', (chunk: Buffer) => this.#splitter.push(chunk));
    input.on('end', () => this.#close());
    input.on('close', () => this.#close());
    // EPIPE / ECONNRESET when the other process died: not our user's problem.
    input.on('error', () => this.#close());
    output.on('error', () => this.#close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a line; `done` runs once the bytes are handed to the kernel (or the write failed). */
  write(line: string, done?: WriteDone): void {
    if (this.#closed || this.#output.destroyed) {
      done?.(new Error('channel closed'));
      return;
    }
    if (line.length >= LARGE_LINE) {
      this.flushHeld(); // keep the order
      this.#output.write(NON_ASCII.test(line) ? line : Buffer.from(line, 'latin1'), done);
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
    this.#output.write(line, done);
  }

  /** Sends the lines held back in this tick, as one write. */
  flushHeld(): void {
    if (this.#held.length === 0) return;
    const text = this.#held.length === 1 ? this.#held[0] : this.#held.join('');
    const dones = this.#heldDone;
    this.#held = [];
    this.#heldDone = [];
    holding.delete(this);
    if (this.#closed || this.#output.destroyed) {
      for (const done of dones) done(new Error('channel closed'));
      return;
    }
    this.#output.write(text, dones.length === 0 ? undefined : (error) => dones.forEach((done) => done(error)));
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
    this.#input.pause();
    this.events.overflow(bytes);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.events.closed();
  }
}
