/**
 * Every warning the library prints goes through here: Node's own warning
 * channel, with one code, so users can filter or silence them
 * (`process.on('warning')`, `--no-warnings`).
 */
let reword: ((message: string) => string) | undefined;

export function warn(message: string): void {
  process.emitWarning(reword ? reword(message) : message, { code: 'PREFORK_IPC' });
}

/**
 * Lets a program built on the library say its warnings in its own terms: the
 * `prefork-ipc` command's users wrote a handler, not a script with `ppi.finish()`
 * (cli/warnings.ts). Internal: not exported from the package.
 */
export function rewordWarnings(fn: ((message: string) => string) | undefined): void {
  reword = fn;
}
