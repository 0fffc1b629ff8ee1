import { onExit } from 'signal-exit';

/**
 * Makes sure no child outlives its manager when the manager exits by
 * process.exit(), an uncaught exception or a signal it does not trap.
 * (SIGKILL cannot be caught: for that the children watch their pipe, see
 * child/runtime.ts.) One hook per process, installed on first use.
 */
const living = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
let removeHook: (() => void) | undefined;

export function guardChild(child: { kill(signal: NodeJS.Signals): boolean }): () => void {
  living.add(child);
  removeHook ??= onExit(() => {
    for (const each of living) each.kill('SIGTERM');
  });
  return () => {
    living.delete(child);
  };
}
