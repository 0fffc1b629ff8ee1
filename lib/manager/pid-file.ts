/**
 * The `pidFile` option, as Starlet, Server::Starter and gunicorn have it: the
 * manager's pid, for `kill -HUP $(cat app.pid)`. Signalling the pid of an
 * `npx`/`tsx` wrapper instead kills the wrapper and leaves the manager
 * running, re-parented to init: the file names the process that traps signals.
 * Removed when the manager exits, if it still holds our pid.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { onExit } from 'signal-exit';

export function writePidFile(file: string): void {
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch (err) {
    throw new Error(`PreforkIPC option 'pidFile': cannot write ${file}: ${(err as Error).message}`);
  }
  onExit(() => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      /* already gone */
    }
  });
}
