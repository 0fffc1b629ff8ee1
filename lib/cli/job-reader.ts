import type { Readable } from 'node:stream';
import ndjson from 'ndjson';
import { LineSplitter } from '../protocol/line-splitter';

/** One non-blank input line: a job, or the reason it is not one. `line` counts from 1. */
export type InputRecord = { line: number; ok: true; job: unknown } | { line: number; ok: false; error: string };

export interface JobReaderEvents {
  record(record: InputRecord): void;
  end(error?: Error): void;
}

/** A line longer than this is a failed job, not a reason to hold unbounded memory. */
export const MAX_JOB_LINE_BYTES = 64 * 1024 * 1024;

const BLANK = /^[ \t\r]*$/;

/**
 * Reads NDJSON jobs and numbers their lines.
 *
 * Lines are framed by the project's linear LineSplitter and handed to
 * ndjson's parser one at a time, never through `.pipe()`: ndjson reports a
 * bad line by emitting 'error', which makes `.pipe()` unpipe and silently
 * drop every later line; here an 'error' is just one failed job. Each line is
 * sent to the parser as `[lineNumber,line]` so that the number travels with
 * the value. This wrapping also lets a `null` job through: ndjson pushes
 * each parsed value into a stream, where a bare `null` means end-of-stream.
 * A two-element array comes out only when the line held exactly one JSON value.
 */
export class JobReader {
  readonly #input: Readable;
  readonly #parser = ndjson.parse({ strict: true });
  readonly #pending = new Map<number, string>();
  #lineNumber = 0;
  #ended = false;

  constructor(input: Readable, private readonly events: JobReaderEvents) {
    this.#input = input;
    this.#parser.on('data', (value: unknown) => this.#parsed(value));
    this.#parser.on('error', (error: Error) => this.#rejected(error));
    const splitter = new LineSplitter(
      MAX_JOB_LINE_BYTES,
      (line) => this.#line(line),
      (bytes) => this.#finish(new Error(`line ${this.#lineNumber + 1} is longer than ${MAX_JOB_LINE_BYTES} bytes (${bytes} so far)`)),
    );
    input.on('data', (chunk: Buffer) => splitter.push(chunk));
    input.on('end', () => {
      if (splitter.pendingBytes > 0) splitter.push(Buffer.from('\n')); // a last line without its newline
      this.#parser.end();
    });
    // The parser's 'end' comes after its last 'data' or 'error'.
    this.#parser.on('end', () => this.#finish());
    input.on('error', (error) => this.#finish(error));
  }

  pause(): void {
    this.#input.pause();
  }

  resume(): void {
    if (!this.#ended) this.#input.resume();
  }

  /** Stops reading: the job stream ends here. */
  close(): void {
    this.#input.pause();
    this.#finish();
  }

  #line(bytes: Buffer): void {
    if (this.#ended) return;
    const number = ++this.#lineNumber;
    const text = bytes.toString('utf8');
    if (BLANK.test(text)) return;
    this.#pending.set(number, text);
    this.#parser.write(`[${number},${text}]\n`);
  }

  #parsed(value: unknown): void {
    if (this.#ended) return;
    const [number, job] = value as [number, unknown];
    const text = this.#pending.get(number);
    this.#pending.delete(number);
    if (Array.isArray(value) && value.length === 2 && text !== undefined) {
      this.events.record({ line: number, ok: true, job });
    } else {
      this.events.record({ line: number, ok: false, error: `line ${number}: holds more than one JSON value` });
    }
  }

  #rejected(error: Error): void {
    if (this.#ended) return;
    // ndjson's message quotes the start of the row, which begins with our "[number,".
    const number = Number(/row \[(\d+),/.exec(error.message)?.[1]);
    const text = this.#pending.get(number);
    if (text === undefined) return;
    this.#pending.delete(number);
    this.events.record({ line: number, ok: false, error: `line ${number}: not valid JSON (${reason(text)})` });
  }

  #finish(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.events.end(error);
  }
}

function reason(text: string): string {
  try {
    JSON.parse(text);
    return 'more than one JSON value';
  } catch (err) {
    return (err as Error).message;
  }
}
