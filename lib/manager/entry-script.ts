/**
 * How a child is made: Node has no fork(), so the manager runs its own entry
 * script again, as node:cluster does for its workers.
 */

export interface Command {
  file: string;
  args: string[];
}

const EVAL_FLAGS = /^(-e|--eval|-p|--print|-pe|-ep)(=.*)?$/;
const INSPECT_FLAGS = /^(--inspect|--inspect-(brk|port|wait)|--debug|--debug-(brk|port))(=.*)?$/;

let inspectPortOffset = 1;

/** Why the current process cannot be re-executed, or undefined when it can. */
export function whyNotReexecutable(argv = process.argv, execArgv = process.execArgv): string | undefined {
  if (execArgv.some((flag) => EVAL_FLAGS.test(flag))) {
    return 'the script was given with node -e/-p (--eval/--print)';
  }
  const script = argv[1];
  if (script === undefined) return 'there is no script file (the REPL, or a script read from standard input)';
  if (script === '-') return 'the script was read from standard input (node -)';
  return undefined;
}

/**
 * The command that starts one more copy of this process. Children of a manager
 * run under --inspect get their own inspector port, counting up from the
 * manager's, so they do not fail with "address already in use".
 */
export function reexecCommand(argv = process.argv, execArgv = process.execArgv): Command {
  const why = whyNotReexecutable(argv, execArgv);
  if (why) {
    throw new Error(
      `PreforkIPC.start() cannot make child processes: ${why}. ` +
        'Children re-execute the entry script, so run the manager from a file (node script.js, ts-node script.ts).',
    );
  }
  const flags = [...execArgv];
  if (flags.some((flag) => INSPECT_FLAGS.test(flag))) {
    let port = process.debugPort + inspectPortOffset++;
    if (port > 65535) port = port - 65535 + 1024 - 1;
    flags.push(`--inspect-port=${port}`);
  }
  return { file: process.execPath, args: [...flags, ...argv.slice(1)] };
}
