import type { Writable } from 'node:stream';

/**
 * Resolves once everything written to the stream so far has been handed to
 * the OS. process.exit() does not wait for pending writes to pipes, so a child
 * that printed 2 MB and exited at once would lose most of it.
 */
export function flush(stream: Writable): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}
