import type { Readable } from 'node:stream';
import { LineSplitter } from '../protocol/line-splitter';

/** One non-blank input line: a job, or the reason it is not one. `line` counts from 1. */
export type InputRecord = { line: number; ok: true; job: unknown } | { line: number; ok: false; error: string };

export interface JobReaderEvents {
  record(record: InputRecord): void;
  end(error?: Error): void;
}

/** A line longer than this is a failed job, not a reason to hold unbounded memory. */
export const MAX_JOB_LINE_BYTES = 64 * 1024 * 1024;

/** Blank lines, CRLF ones included, are no jobs. */
const BLANK = /^[ \t\r]*$/;

/**
 * Reads NDJSON jobs and numbers their lines.
 *
 * Lines are framed by the project's linear LineSplitter and each is parsed on
 * its own with JSON.parse, so a bad line is one failed job that names its
 * line number, and every later line is still read. (ndjson's parser is not
 * used here: it is quadratic on long lines, ends its stream at a `null` job,
 * and behind `.pipe()` a bad line unpipes the input; see docs/architecture.md.)
 */
export class JobReader {
  readonly #input: Readable;
  #lineNumber = 0;
  #ended = false;

  constructor(input: Readable, private readonly events: JobReaderEvents) {
    this.#input = input;
    // A line over the limit is a failed job like a malformed one (the README's promise: a bad
    // line fails only itself); the splitter drops the rest of it, holding no more than the limit.
    const splitter = new LineSplitter(
      MAX_JOB_LINE_BYTES,
      (line) => this.#line(line),
      (bytes) => this.#overlong(bytes),
      true,
    );
    input.on('data', (chunk: Buffer) => splitter.push(chunk));
    input.on('end', () => {
      if (splitter.pendingBytes > 0) splitter.push(Buffer.from('\n')); // a last line without its newline
      this.#finish();
    });
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
    const line = ++this.#lineNumber;
    const text = bytes.toString('utf8');
    if (BLANK.test(text)) return;
    let job: unknown;
    try {
      job = JSON.parse(text);
    } catch (err) {
      this.events.record({ line, ok: false, error: `line ${line}: not valid JSON (${(err as Error).message})` });
      return;
    }
    this.events.record({ line, ok: true, job });
  }

  #overlong(bytesSoFar: number): void {
    if (this.#ended) return;
    const line = ++this.#lineNumber;
    this.events.record({
      line,
      ok: false,
      error: `line ${line}: longer than ${MAX_JOB_LINE_BYTES} bytes (the limit for one job line; ${bytesSoFar} read before it was dropped)`,
    });
  }

  #finish(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.events.end(error);
  }
}
