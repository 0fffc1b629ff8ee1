// How the child's command line is built from the manager's: unit tests of the
// flag rewriting, without processes (spec/running.test.ts runs the real commands).
// Under ts-jest this library runs from its .ts sources, so the children of a
// (pretend) ts-node manager get the fallback flags here, never the compiled-module
// preload; running.test.ts covers the preload.
import path from 'node:path';
import { reexecCommand } from '../lib/launch/command';
import { resolveOptions } from '../lib/options';

const TS_NODE_INSTANCE = Symbol.for('ts-node.register.instance');
type WithService = NodeJS.Process & { [TS_NODE_INSTANCE]?: unknown };
const BIN = '/p/node_modules/ts-node/dist/bin.js';
const SCRIPT = '/p/script.ts';

/** Pretends ts-node is registered in this process, type-checking unless told otherwise. */
function fakeTsNode(service: { transpileOnly: boolean; transpiler?: string; swc?: boolean }): void {
  (process as WithService)[TS_NODE_INSTANCE] = {
    transpileOnly: service.transpileOnly,
    options: { transpiler: service.transpiler },
    projectLocalResolveHelper: (name: string) => {
      if (name === '@swc/core' && service.swc !== false) return '/p/node_modules/@swc/core/index.js';
      throw new Error(`cannot find ${name}`);
    },
  };
}

afterEach(() => {
  delete (process as WithService)[TS_NODE_INSTANCE];
});

const command = (execArgv: string[], env: NodeJS.ProcessEnv = {}, exec = {}) =>
  reexecCommand(exec, ['/usr/bin/node', SCRIPT, 'a', 'b c'], execArgv, env);

describe('children of a type-checking ts-node manager start in transpile-only mode', () => {
  test('ts-node CLI: --transpile-only --swc go after bin.js; --type-check is dropped; other flags stay', () => {
    fakeTsNode({ transpileOnly: false });
    const { args, env } = command(['--no-deprecation', BIN, '--type-check', '-P', 'tsconfig.json']);
    expect(args).toEqual(['--no-deprecation', BIN, '--transpile-only', '--swc', '-P', 'tsconfig.json', SCRIPT, 'a', 'b c']);
    expect(env).toEqual({});
  });

  test('without @swc/core, or with a transpiler of the user’s own, only --transpile-only is added', () => {
    fakeTsNode({ transpileOnly: false, swc: false });
    expect(command([BIN]).args).toEqual([BIN, '--transpile-only', SCRIPT, 'a', 'b c']);
    fakeTsNode({ transpileOnly: false, transpiler: 'my-transpiler' });
    expect(command([BIN]).args).toEqual([BIN, '--transpile-only', SCRIPT, 'a', 'b c']);
  });

  test('a ts-node that already skips type checking is left alone', () => {
    fakeTsNode({ transpileOnly: true });
    expect(command([BIN, '-T']).args).toEqual([BIN, '-T', SCRIPT, 'a', 'b c']);
  });

  test.each([
    [['-r', 'ts-node/register']],
    [['--require', 'ts-node/register']],
    [['--require=ts-node/register/type-check']],
    [['-rts-node/register']],
  ])('node %j script.ts: the child runs through ts-node’s CLI in --cwd-mode', (register) => {
    fakeTsNode({ transpileOnly: false });
    const { args } = command(['--enable-source-maps', ...register, '-r', 'other/preload']);
    expect(args.slice(0, 3)).toEqual(['--enable-source-maps', '-r', 'other/preload']);
    expect(path.basename(args[3])).toBe('bin.js');
    expect(args.slice(4)).toEqual(['--transpile-only', '--swc', '--cwd-mode', SCRIPT, 'a', 'b c']);
  });

  test('NODE_OPTIONS="-r ts-node/register": removed from the child’s NODE_OPTIONS, the rest kept', () => {
    fakeTsNode({ transpileOnly: false });
    const { args, env } = command([], { NODE_OPTIONS: '--max-old-space-size=300 -r ts-node/register --title="a b"' });
    expect(env).toEqual({ NODE_OPTIONS: '--max-old-space-size=300 --title="a b"' });
    expect(args.slice(1)).toEqual(['--transpile-only', '--swc', '--cwd-mode', SCRIPT, 'a', 'b c']);
    expect(command([], { NODE_OPTIONS: '-r ts-node/register' }).env).toEqual({ NODE_OPTIONS: undefined });
  });

  test('exec.execArgv is used exactly as given (the way to keep type checking in children)', () => {
    fakeTsNode({ transpileOnly: false });
    expect(command([BIN], {}, { execArgv: [BIN] }).args).toEqual([BIN, SCRIPT, 'a', 'b c']);
  });

  test('without ts-node, the flags are copied unchanged', () => {
    expect(command(['--require', 'ts-node/register', '--import', 'tsx']).args).toEqual(['--require', 'ts-node/register', '--import', 'tsx', SCRIPT, 'a', 'b c']);
  });
});

describe('the exec option', () => {
  test('a path, or { file, args, execArgv }, each part defaulting to the manager’s', () => {
    expect(command(['--no-deprecation'], {}, resolveOptions({ exec: 'worker.js' }).exec).args).toEqual([
      '--no-deprecation',
      path.resolve('worker.js'),
      'a',
      'b c',
    ]);
    const exec = resolveOptions({ exec: { file: '/w/worker.js', args: ['x'], execArgv: ['--no-warnings'] } }).exec;
    expect(command(['--no-deprecation'], {}, exec).args).toEqual(['--no-warnings', '/w/worker.js', 'x']);
    expect(command(['--no-deprecation'], {}, resolveOptions({ exec: { args: [] } }).exec).args).toEqual(['--no-deprecation', SCRIPT]);
  });

  test('under node -e, exec makes start() possible, and the arguments start at argv[1]', () => {
    const argv = ['/usr/bin/node', 'a', 'b'];
    expect(() => reexecCommand({}, argv, ['-e', 'code'])).toThrow(/node -e/);
    expect(reexecCommand({ file: '/w/worker.js' }, argv, ['-e', 'code', '--no-warnings']).args).toEqual(['--no-warnings', '/w/worker.js', 'a', 'b']);
  });

  test.each([
    [42, "'exec' must be a script path or an object"],
    ['', "'exec.file' must be a non-empty path"],
    [{ file: 7 }, "'exec.file' must be a non-empty path"],
    [{ args: 'x' }, "'exec.args' must be an array of strings"],
    [{ execArgv: [1] }, "'exec.execArgv' must be an array of strings"],
    [{ script: 'x.js' }, "'exec' must be an object with only file, args and execArgv"],
  ])('exec: %j is a TypeError naming the option', (exec, message) => {
    expect(() => resolveOptions({ exec })).toThrow(TypeError);
    expect(() => resolveOptions({ exec })).toThrow(message);
  });
});

describe('no script to run again', () => {
  test.each([
    [['/usr/bin/node'], [], /the REPL/],
    [['/usr/bin/node', '-'], [], /standard input/],
    [['/usr/bin/node', 'x'], ['--print', '1'], /node -e\/-p/],
    [['/usr/bin/node', '/p/node_modules/jest-worker/build/workers/processChild.js'], [], /test runner/],
    [['/usr/bin/node', '/p/node_modules/.bin/jest'], [], /test runner/],
  ])('argv %j, execArgv %j', (argv, execArgv, message) => {
    expect(() => reexecCommand({}, argv, execArgv)).toThrow(message);
  });
});

describe('--inspect', () => {
  test('each child gets its own inspector port; a manager on port 0 gives its children port 0', () => {
    const first = command(['--inspect=127.0.0.1:9229']).args;
    const second = command(['--inspect=127.0.0.1:9229']).args;
    const port = (args: string[]) => Number(/^--inspect-port=(\d+)$/.exec(args.find((a) => a.startsWith('--inspect-port=')) ?? '')?.[1]);
    expect(port(second)).toBe(port(first) + 1);
    expect(command(['--inspect=0']).args).toContain('--inspect-port=0');
    expect(command([], { NODE_OPTIONS: '--inspect' }).args.some((a) => a.startsWith('--inspect-port='))).toBe(true);
  });
});

describe('hangTimeout: an inspector port for SIGUSR1', () => {
  test('only when asked: --inspect-port on 127.0.0.1, the port reported with the command', () => {
    expect(reexecCommand({}, ['node', SCRIPT], []).inspectPort).toBeUndefined();
    expect(reexecCommand({}, ['node', SCRIPT], []).args.some((a) => a.startsWith('--inspect'))).toBe(false);
    const command = reexecCommand({}, ['node', SCRIPT], [], {}, true);
    expect(command.inspectPort).toBeGreaterThanOrEqual(20000);
    expect(command.inspectPort).toBeLessThan(32768); // below Linux's ephemeral ports
    expect(command.args).toContain(`--inspect-port=127.0.0.1:${command.inspectPort}`);
  });

  test("under the user's own --inspect, theirs is kept and no port is reported", () => {
    const command = reexecCommand({}, ['node', SCRIPT], ['--inspect=127.0.0.1:9229'], {}, true);
    expect(command.inspectPort).toBeUndefined();
    expect(command.args.filter((a) => a.startsWith('--inspect-port='))).toHaveLength(1);
    expect(command.args.some((a) => a.startsWith('--inspect-port=127.0.0.1:'))).toBe(false);
  });
});
