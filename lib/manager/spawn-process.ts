import { spawn, type ChildProcess } from 'node:child_process';
import { reexecCommand } from '../launch/command';
import { childStdio } from '../launch/stdio';
import type { ChildStdout, ExecSettings } from '../options';
import { CHILD_MARKER } from '../role';
import { warn } from '../warn';
import type { OpenListener } from './listeners';

/**
 * Starts one child process: the entry script (or `exec`) run again with the
 * child marker, fd 3 and 4 for the wire, and the listening sockets after them
 * (or, round-robin, Node's IPC channel instead). Undefined when spawn() itself
 * failed (EAGAIN, ENOMEM…): the error is warned about, and the caller paces
 * the retry.
 */
export interface SpawnSettings {
  exec: ExecSettings;
  listeners: readonly OpenListener[];
  /** `balance: 'round-robin'`: no listening socket, Node's IPC channel instead. */
  roundRobin: boolean;
  /** The child's slot (PREFORK_SLOT). */
  slot: number;
  stdout?: ChildStdout;
  /** hangTimeout: the child's inspector may be opened by SIGUSR1 on a loopback port of ours (reported as `inspectPort`). */
  inspectOnSignal?: boolean;
  /** Variables to set, or to remove (undefined), on top of the manager's environment. */
  extraEnv?: NodeJS.ProcessEnv;
}

export function spawnProcess({
  exec,
  listeners,
  roundRobin,
  slot,
  stdout = 'inherit',
  inspectOnSignal = false,
  extraEnv = {},
}: SpawnSettings): { process: ChildProcess & { pid: number }; inspectPort: number | undefined } | undefined {
  const command = reexecCommand(exec, undefined, undefined, undefined, inspectOnSignal);
  const spawned = spawn(command.file, command.args, {
    // Round-robin: the manager alone accepts, so a child holds no listening socket, only the IPC channel.
    stdio: roundRobin ? childStdio([], true, stdout) : childStdio(listeners, false, stdout),
    // LISTEN_PID names this process: a child must find its sockets in ppi.listeners, not there.
    // PREFORK_SLOT: the child's slot, for children that are not Node (exec) or read it before the hello.
    env: { ...process.env, ...command.env, LISTEN_FDS: undefined, LISTEN_PID: undefined, PREFORK_SLOT: String(slot), ...extraEnv, [CHILD_MARKER]: '1' },
  });
  if (spawned.pid === undefined) {
    spawned.once('error', (err) => warn(`could not spawn a child: ${err.message}`));
    return undefined;
  }
  return { process: spawned as ChildProcess & { pid: number }, inspectPort: command.inspectPort };
}
