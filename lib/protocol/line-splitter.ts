/**
 * Cuts a byte stream into lines in time linear in the bytes received.
 *
 * Each chunk is scanned once, from where the previous scan stopped, and the
 * pieces of an unfinished line are kept as a list of Buffers that is joined
 * only when its newline arrives. (split2, under ndjson, re-scans the whole
 * pending string on every chunk, which is quadratic on long lines.)
 */
export class LineSplitter {
  #pieces: Buffer[] = [];
  #pendingBytes = 0;
  #overflowed = false;
  /** skipOverlong: the rest of an overlong line is being dropped, up to its newline. */
  #skipping = false;

  /**
   * `skipOverlong`: after an overflow, drop the rest of that line and go on with the next
   * (the command's job reader: one bad line fails alone). Without it (the channel) an overflow
   * ends the stream: nothing more is read.
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverflow: (bytesSoFar: number) => void,
    private readonly skipOverlong = false,
  ) {}

  /**
   * `borrowed`: the chunk is a reused read buffer (a socket made with
   * `onread`), overwritten by the next read. A line wholly inside it is passed
   * on as a view of it, valid only during onLine; the unfinished line at its
   * end is copied, since it must outlive the chunk.
   */
  push(chunk: Buffer, borrowed = false): void {
    if (this.#overflowed && !this.skipOverlong) return;
    let start = 0;
    if (this.#skipping) {
      start = chunk.indexOf(10) + 1;
      if (start === 0) return; // still inside the overlong line
      this.#skipping = false;
    }
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      const fits = this.#take(chunk.subarray(start, newline), false);
      start = newline + 1;
      if (!fits) {
        if (!this.skipOverlong) return;
        continue; // the overlong line ends at this newline
      }
      const line = this.#pieces.length === 1 ? this.#pieces[0] : Buffer.concat(this.#pieces, this.#pendingBytes);
      this.#pieces = [];
      this.#pendingBytes = 0;
      this.onLine(line);
      if (this.#overflowed && !this.skipOverlong) return;
    }
    if (start < chunk.length && !this.#take(chunk.subarray(start), borrowed) && this.skipOverlong) this.#skipping = true;
  }

  /** Bytes of an unfinished line held in memory. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  #take(piece: Buffer, copy: boolean): boolean {
    this.#pendingBytes += piece.length;
    if (this.#pendingBytes > this.maxLineBytes) {
      // Drop what we hold at once: the point of the limit is bounded memory.
      this.#overflowed = true;
      const seen = this.#pendingBytes;
      this.#pieces = [];
      this.#pendingBytes = 0;
      this.onOverflow(seen);
      return false;
    }
    this.#pieces.push(copy ? Buffer.from(piece) : piece);
    return true;
  }
}
