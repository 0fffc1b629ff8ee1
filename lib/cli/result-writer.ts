import type { Writable } from 'node:stream';
import ndjson from 'ndjson';
import type { ResultRecord } from './callbacks';

/**
 * Writes one NDJSON line per result. In ordered mode a result waits until
 * every job before it has been written; `flushAll()` writes whatever is held,
 * in index order, when the run is cut short.
 */
export class ResultWriter {
  readonly #out = ndjson.stringify();
  readonly #held = new Map<number, ResultRecord>();
  #nextIndex = 0;

  constructor(
    destination: Writable,
    private readonly ordered: boolean,
  ) {
    this.#out.pipe(destination, { end: false });
  }

  write(record: ResultRecord): void {
    // JSON has no undefined; a handler that returns nothing reports null.
    if (record.ok && record.result === undefined) record = { ...record, result: null };
    if (!this.ordered) return void this.#out.write(record);
    this.#held.set(record.job, record);
    this.#drain();
  }

  /** Writes everything still held, in order, and resolves once it reached the destination's buffer. */
  async end(destination: Writable): Promise<void> {
    for (const index of [...this.#held.keys()].sort((a, b) => a - b)) this.#out.write(this.#held.get(index));
    this.#held.clear();
    await new Promise<void>((resolve) => {
      this.#out.once('end', resolve);
      this.#out.end();
    });
    await new Promise<void>((resolve) => destination.write('', () => resolve()));
  }

  #drain(): void {
    for (;;) {
      const record = this.#held.get(this.#nextIndex);
      if (!record) return;
      this.#held.delete(this.#nextIndex++);
      this.#out.write(record);
    }
  }
}
