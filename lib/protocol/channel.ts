import type { Readable, Writable } from 'node:stream';
import { LineSplitter } from './line-splitter';

/**
 * A line this long goes to the socket as bytes we encoded: ASCII (what
 * JSON.stringify usually gives) encoded as latin1 is one quick copy, where the
 * socket's own UTF-8 encoding walks the string twice (≈ 270 ms for 100 MB).
 */
const LARGE_LINE = 1 << 20;
const NON_ASCII = /[^\x00-\x7f]/;

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
  #corked = false;

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
  write(line: string, done?: (error?: Error | null) => void): void {
    if (this.#closed || this.#output.destroyed) {
      done?.(new Error('channel closed'));
      return;
    }
    // Lines written in the same tick leave in one writev() instead of one
    // write() each: with many calls in flight, the syscalls were the cost.
    if (!this.#corked) {
      this.#corked = true;
      this.#output.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#output.uncork();
      });
    }
    this.#output.write(line.length >= LARGE_LINE && !NON_ASCII.test(line) ? Buffer.from(line, 'latin1') : line, done);
  }

  /** Whether the channel holds the event loop open. */
  setRef(holdOpen: boolean): void {
    for (const stream of [this.#input, this.#output]) {
      if (holdOpen) stream.ref?.();
      else stream.unref?.();
    }
  }

  destroy(): void {
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
