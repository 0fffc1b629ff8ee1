/**
 * The `prefork-ipc` command's exit statuses and its stderr prefix, for every
 * subcommand. Imports nothing: `queue/` and
 * `bin/prefork-ipc.js` read it too.
 *
 * - the job runner (cli/coordinator.ts): 0 every job succeeded, 1 some failed,
 *   2 the handler could not be loaded;
 * - bad usage (any subcommand): 2;
 * - `ctl`: 1 the command failed, 2 bad usage, 3 the manager cannot be reached;
 * - `enqueue` / `results`: 0, 1 something failed, 2 bad usage.
 */
export const EXIT_OK = 0;
/** Some jobs failed; `ctl`: the manager answered that the command failed; anything else that went wrong. */
export const EXIT_FAILED = 1;
/** Bad usage: an unknown flag, a missing argument, a file that cannot be read. */
export const EXIT_USAGE = 2;
/** The job runner: the handler module could not be loaded (no job ran). */
export const EXIT_HANDLER_FAILED = 2;
/** `ctl`: the control socket does not answer. */
export const EXIT_UNREACHABLE = 3;

/** What every line the command writes to stderr begins with (`ctl` adds its name). */
export const STDERR_PREFIX = 'prefork-ipc: ';
export const CTL_STDERR_PREFIX = 'prefork-ipc ctl: ';

/** Writes one line to stderr, after the prefix. */
export function complain(message: string): void {
  process.stderr.write(`${STDERR_PREFIX}${message}\n`);
}
