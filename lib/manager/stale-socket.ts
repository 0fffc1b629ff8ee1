/**
 * The one rule for taking a Unix socket path that may already exist (the
 * control socket; meant for the `listen` option's socket files too): replace
 * only a *stale socket*, i.e. `lstat` says it is a socket (not a file, a
 * directory or a symlink, which are never followed or removed) AND a connect
 * to it fails with ECONNREFUSED (nobody listens: its server died without
 * removing it). Anything else is refused with an error naming what is there.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';

/** What a connect to `path` says: 'answers', or the error code ('ECONNREFUSED' for a stale socket). */
export function probeSocket(path: string): Promise<string> {
  return new Promise((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve('answers');
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/**
 * Makes `path` free for a new socket: nothing there, or a stale socket (removed).
 * Throws an Error starting with `what` otherwise.
 */
export async function clearStaleSocket(path: string, what: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`${what}: cannot look at ${path}: ${(err as Error).message}`);
  }
  if (!stat.isSocket()) {
    const kind = stat.isSymbolicLink() ? 'a symbolic link' : stat.isDirectory() ? 'a directory' : stat.isFile() ? 'a file' : 'not a socket';
    throw new Error(`${what}: ${path} exists and is ${kind}; only a stale socket is replaced`);
  }
  const answer = await probeSocket(path);
  if (answer === 'answers') throw new Error(`${what}: ${path}: a server is answering on it (another manager?)`);
  if (answer !== 'ECONNREFUSED') throw new Error(`${what}: ${path} is a socket that cannot be told stale (connect: ${answer}); not replacing it`);
  unlinkSync(path);
}
