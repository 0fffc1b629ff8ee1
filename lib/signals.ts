import { constants } from 'node:os';

/** A signal name without the `SIG` prefix, e.g. `'TERM'`. */
export type SignalName = string;

/** `'SIGTERM'`, `'TERM'`, `'term'` → `'TERM'`; undefined for anything that is not a signal here. */
export function normalizeSignal(name: unknown): SignalName | undefined {
  if (typeof name !== 'string') return undefined;
  const bare = name.toUpperCase().replace(/^SIG/, '');
  return `SIG${bare}` in constants.signals ? bare : undefined;
}

/** The name Node's process and child-process APIs take: `'TERM'` → `'SIGTERM'`. */
export function nodeSignal(name: SignalName): NodeJS.Signals {
  return `SIG${name}` as NodeJS.Signals;
}

/** Status of an ended process as a shell reports it: the exit code, or 128 + the signal number. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + constants.signals[signal];
  return 0;
}
