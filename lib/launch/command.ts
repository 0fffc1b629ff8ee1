/**
 * How a child is made: Node has no fork(), so the manager runs its own entry
 * script again, as node:cluster does for its workers, or the script named by
 * the `exec` option.
 */
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { ExecSettings } from '../options';
import { fastTypeScriptChild, tsNodeChildProblem } from './ts-node-children';

export interface Command {
  file: string;
  args: string[];
  /** Environment changes for the child on top of the manager's environment (undefined removes a variable). */
  env: Record<string, string | undefined>;
}

const EVAL_FLAGS = /^(-e|--eval|-p|--print|-pe|-ep)(=.*)?$/;
/** Flags that make node run something other than a script file; a child started from a file must not get them. */
const NOT_A_FILE_FLAGS = /^(-e|--eval|-p|--print|-pe|-ep|-i|--interactive|--test|--watch|--watch-path)(=.*)?$/;
const FLAGS_WITH_VALUE = /^(-e|--eval|-p|--print|-pe|-ep|--watch-path)$/;
const INSPECT_FLAGS = /^(--inspect|--inspect-(brk|port|wait)|--debug|--debug-(brk|port))(=.*)?$/;
const INSPECT_IN_NODE_OPTIONS = /(^|\s)--inspect(-brk|-wait)?(=|\s|$)/;

/** Packages whose processes run test files; re-executing one of them would rerun the test runner. */
const TEST_RUNNER_ENTRY = /[\\/]node_modules[\\/](?:\.bin[\\/])?(jest|jest-cli|jest-worker|@jest[\\/][^\\/]+|vitest|tinypool|mocha|ava|tap|@playwright[\\/]test)([\\/]|$)/;

let inspectPortOffset = 1;

/** Whether this process runs tests with node:test (under `node --test`, or a test file run directly). */
function usesNodeTest(): boolean {
  const loaded = (process as NodeJS.Process & { moduleLoadList?: unknown }).moduleLoadList;
  return Array.isArray(loaded) && loaded.includes('NativeModule internal/test_runner/harness');
}

/**
 * Why the current process cannot be re-executed as a child, or undefined when it can.
 * Only asked when the `exec` option names no worker script.
 */
export function whyNotReexecutable(argv = process.argv, execArgv = process.execArgv): string | undefined {
  if (execArgv.some((flag) => EVAL_FLAGS.test(flag))) {
    return 'the script was given with node -e/-p (--eval/--print)';
  }
  const script = argv[1];
  if (script === undefined) return 'there is no script file (the REPL, or a script read from standard input)';
  if (script === '-') return 'the script was read from standard input (node -)';
  if (!isMainThread) return 'this is a worker thread, whose process runs a different main script';
  if (TEST_RUNNER_ENTRY.test(script)) {
    return `the entry script is a test runner's (${script}): each child would run the test runner again`;
  }
  if (usesNodeTest()) {
    return 'this process runs tests with node:test: each child would run the whole test file again';
  }
  return undefined;
}

/** The user's flags for the child: without those that would make it run something other than a file. */
function fileFlags(execArgv: string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i];
    if (!NOT_A_FILE_FLAGS.test(flag)) flags.push(flag);
    else if (FLAGS_WITH_VALUE.test(flag)) i++;
  }
  return flags;
}

/** The port the user asked the inspector for, when the flags name one (0 means "any free port"). */
function requestedInspectPort(flags: string[]): number | undefined {
  let port: number | undefined;
  for (const flag of flags) {
    const match = /^--(?:inspect|inspect-brk|inspect-wait|inspect-port|debug-port)=(?:.*:)?(\d+)$/.exec(flag);
    if (match) port = Number(match[1]);
  }
  return port;
}

/**
 * Children of a manager run under --inspect each get their own inspector
 * port, counting up from the manager's as node:cluster does, so they do not
 * fail with "address already in use". A manager that asked for port 0 (any
 * free port) gives its children port 0 too.
 */
function inspectPortFlag(flags: string[], env: NodeJS.ProcessEnv): string | undefined {
  const inFlags = flags.some((flag) => INSPECT_FLAGS.test(flag));
  const inNodeOptions = INSPECT_IN_NODE_OPTIONS.test(env.NODE_OPTIONS ?? '');
  if (!inFlags && !inNodeOptions) return undefined;
  if (requestedInspectPort(flags) === 0) return '--inspect-port=0';
  let port = process.debugPort + inspectPortOffset++;
  if (port > 65535) port = port - 65535 + 1024 - 1;
  // An argument on the command line wins over the same flag in NODE_OPTIONS.
  return `--inspect-port=${port}`;
}

/**
 * Throws a clear error when there is no script for the children to run, or (each start())
 * when the children would run ts-node on a TypeScript it cannot run (typescript-version.ts).
 */
export function assertReexecutable(exec: ExecSettings = {}, argv = process.argv, execArgv = process.execArgv): void {
  assertScript(exec, argv, execArgv);
  if (exec.execArgv) return;
  const problem = tsNodeChildProblem();
  if (problem) throw new Error(`PreforkIPC.start() cannot start children under ts-node: ${problem}`);
}

function assertScript(exec: ExecSettings, argv: string[], execArgv: string[]): void {
  if (exec.file !== undefined) return;
  const why = whyNotReexecutable(argv, execArgv);
  if (why) {
    throw new Error(
      `PreforkIPC.start() cannot make child processes: ${why}. ` +
        'Children re-execute the entry script, so run the manager from a file (node script.js, ts-node script.ts), ' +
        "or name the children's script with the `exec` option.",
    );
  }
}

/**
 * The command that starts one child: this process's own entry script with
 * the same flags and arguments, or what the `exec` option names. With the
 * default flags, a manager under type-checking ts-node starts its children in
 * a transpile-only mode (see ts-node-children.ts).
 */
export function reexecCommand(
  exec: ExecSettings = {},
  argv = process.argv,
  execArgv = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): Command {
  assertScript(exec, argv, execArgv);
  const script = exec.file ?? argv[1];
  // Under `node -e code a b` there is no script in argv: the arguments start at argv[1].
  const args = exec.args ?? argv.slice(execArgv.some((flag) => EVAL_FLAGS.test(flag)) ? 1 : 2);
  let flags: string[];
  let envChanges: Command['env'] = {};
  if (exec.execArgv) {
    flags = [...exec.execArgv];
  } else {
    const fast = fastTypeScriptChild(fileFlags(execArgv), env);
    flags = fast.flags;
    envChanges = fast.env;
  }
  const inspect = inspectPortFlag(flags, { ...env, ...envChanges });
  if (inspect) flags.push(inspect);
  return { file: process.execPath, args: [...flags, path.resolve(script), ...args], env: envChanges };
}
