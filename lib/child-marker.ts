/**
 * The environment variable that tells a re-executed script it is a child.
 * In a file of its own so that a child can read it without loading the
 * manager's modules (see the lazy require in prefork-ipc.ts).
 */
export const CHILD_MARKER = 'PARALLEL_PREFORK_IPC_CHILD';
