/**
 * Which side of the pipe this process is on. A leaf module: the child reads
 * it without loading any of the manager's modules (see the lazy require in
 * prefork-ipc.ts).
 */

/** The environment variable that tells a re-executed script it is a child. */
export const CHILD_MARKER = 'PARALLEL_PREFORK_IPC_CHILD';

/** Set on `process` (not in module scope) so that two copies of this library agree on it. */
const ROLE = Symbol.for('parallel-prefork-ipc.role');
type ProcessWithRole = NodeJS.Process & { [ROLE]?: 'child' | 'child-taken' };

/**
 * True when this process is a child and this is the first PreforkIPC object
 * in it; false in a manager. The marker is removed from the environment on
 * first look, so the child's own subprocesses do not think they are children too.
 */
export function takeChildRole(): boolean {
  const proc = process as ProcessWithRole;
  if (proc[ROLE] === undefined) {
    proc[ROLE] = process.env[CHILD_MARKER] === undefined ? undefined : 'child';
    delete process.env[CHILD_MARKER];
  }
  if (proc[ROLE] === 'child-taken') {
    throw new Error('A PreforkIPC child process can create only one PreforkIPC object: the pipes to its manager belong to the first.');
  }
  if (proc[ROLE] === 'child') {
    proc[ROLE] = 'child-taken';
    return true;
  }
  return false;
}
