/**
 * Every warning the library prints goes through here: Node's own warning
 * channel, with one code, so users can filter or silence them
 * (`process.on('warning')`, `--no-warnings`).
 */
import { writeSync } from 'node:fs';

let reword: ((message: string) => string) | undefined;

const CODE = 'PREFORK_IPC';

export function warn(message: string): void {
  process.emitWarning(reword ? reword(message) : message, { code: CODE });
}

/**
 * The same warning, written to stderr at once in the format Node prints
 * `warn()`'s in: for a process about to die (child/addr-in-use.ts warns from
 * 'uncaughtExceptionMonitor'), before process.emitWarning()'s next tick would
 * print anything. Never throws: with no stderr there is nothing to warn on.
 */
export function warnBeforeDying(message: string): void {
  try {
    writeSync(2, `(node:${process.pid}) [${CODE}] Warning: ${reword ? reword(message) : message}\n`);
  } catch {
    /* no stderr: nothing to warn on */
  }
}

/**
 * Lets a program built on the library say its warnings in its own terms: the
 * `prefork-ipc` command's users wrote a handler, not a script with `ppi.finish()`
 * (cli/warnings.ts). Internal: not exported from the package.
 */
export function rewordWarnings(fn: ((message: string) => string) | undefined): void {
  reword = fn;
}
