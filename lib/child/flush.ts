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

type StdioName = 'stdout' | 'stderr';
const touched = new Set<StdioName>();
let watched = false;

/**
 * Notes whether this process ever used process.stdout / process.stderr. Node
 * makes them on first use, and making them for a pipe loads and opens a
 * socket each (≈ 1.1 ms of a child's start-up, measured with both on pipes):
 * a child that printed nothing need not create them just to flush them. The
 * getter is put back as it was on first use, so later reads cost nothing extra.
 */
export function watchStdio(): void {
  watched = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const original = Object.getOwnPropertyDescriptor(process, name);
    if (!original?.get || !original.configurable) {
      touched.add(name); // already a plain value, or not ours to wrap: always flush it
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: original.enumerable,
      get() {
        touched.add(name);
        Object.defineProperty(process, name, original);
        return process[name]; // through Node's own getter again
      },
    });
  }
}

/** Flushes the standard streams this process used (both, when watchStdio() was not called). */
export function flushStdio(): Promise<void> {
  const names: StdioName[] = watched ? [...touched] : ['stdout', 'stderr'];
  return Promise.all(names.map((name) => flush(process[name]))).then(() => undefined);
}
