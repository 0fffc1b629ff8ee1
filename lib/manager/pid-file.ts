/**
 * The `pidFile` option, as Starlet, Server::Starter and gunicorn have it: the
 * manager's pid, for `kill -HUP $(cat app.pid)`. Signalling the pid of an
 * `npx`/`tsx` wrapper instead kills the wrapper and leaves the manager
 * running, re-parented to init: the file names the process that traps signals.
 *
 * The path may sit in a directory others can write to (/tmp, a shared run
 * directory), so nothing here follows a link or opens what is not a regular
 * file: the pid goes into a new file beside it, renamed over the path (a
 * rename replaces a planted symlink instead of writing through it), and the
 * old content is read with O_NOFOLLOW | O_NONBLOCK (a planted FIFO cannot
 * block the manager). A file naming a live process (another instance) is
 * refused, as gunicorn and Server::Starter refuse; a stale one is replaced.
 * At exit the file is removed only if it still holds our pid: a newer
 * manager's file stays.
 */
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { onExit } from 'signal-exit';

/** A pid file is a number and a newline; more than this is not one. */
const MAX_PID_FILE_BYTES = 64;

export function writePidFile(file: string): void {
  const holder = pidIn(file);
  if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
    throw new Error(
      `PreforkIPC option 'pidFile': ${file} names process ${holder}, which is running (another manager?). ` +
        `Stop it first, or, for an overlapping deploy, move the file aside (mv ${file} ${file}.old) before starting this one`,
    );
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': O_CREAT | O_EXCL, which fails on anything already there, a symlink included
    // (and the random part keeps a planted one from being there).
    writeFileSync(temporary, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    renameSync(temporary, file);
  } catch (err) {
    try {
      unlinkSync(temporary);
    } catch {
      /* never created, or renamed already */
    }
    throw new Error(`PreforkIPC option 'pidFile': cannot write ${file}: ${(err as Error).message}`);
  }
  onExit(() => {
    try {
      if (pidIn(file) === process.pid) unlinkSync(file);
    } catch {
      /* already gone */
    }
  });
}

/** The pid a regular file at `file` holds; undefined for no file, a symlink, a FIFO, or content that is not a pid. */
export function pidIn(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined; // absent, a symlink (ELOOP), unreadable: nothing we may trust
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(MAX_PID_FILE_BYTES);
    const text = buffer.toString('latin1', 0, readSync(fd, buffer, 0, MAX_PID_FILE_BYTES, 0)).trim();
    return /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** kill(pid, 0): EPERM means it exists under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
