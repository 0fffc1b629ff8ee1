/**
 * Every warning the library prints goes through here: Node's own warning
 * channel, with one code, so users can filter or silence them
 * (`process.on('warning')`, `--no-warnings`).
 */
export function warn(message: string): void {
  process.emitWarning(message, { code: 'PREFORK_IPC' });
}
