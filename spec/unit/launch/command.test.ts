import path from 'node:path';
import { assertReexecutable, reexecCommand, whyNotReexecutable } from '../../../lib/launch/command';

const SCRIPT = '/srv/app/server.js';

describe('whyNotReexecutable: when the children cannot run this process again', () => {
  test('a script file run by node can be', () => {
    expect(whyNotReexecutable(['/usr/bin/node', SCRIPT], [])).toBeUndefined();
    expect(whyNotReexecutable(['/usr/bin/node', SCRIPT, '--port', '80'], ['--max-old-space-size=512'])).toBeUndefined();
  });

  test.each([
    ['node -e', ['/usr/bin/node'], ['-e', 'code'], /node -e\/-p/],
    ['node --print=…', ['/usr/bin/node'], ['--print=1+1'], /node -e\/-p/],
    ['the REPL', ['/usr/bin/node'], [], /there is no script file/],
    ['standard input', ['/usr/bin/node', '-'], [], /standard input \(node -\)/],
    ['jest', ['/usr/bin/node', '/repo/node_modules/jest/bin/jest.js'], [], /test runner's .*jest\.js.*run the test runner again/],
    ['a jest worker', ['/usr/bin/node', '/repo/node_modules/jest-worker/build/processChild.js'], [], /test runner's/],
    ['vitest via .bin', ['/usr/bin/node', '/repo/node_modules/.bin/vitest'], [], /test runner's/],
    ['mocha', ['/usr/bin/node', '/repo/node_modules/mocha/bin/mocha.js'], [], /test runner's/],
  ])('%s cannot be', (_, argv, execArgv, why) => {
    expect(whyNotReexecutable(argv, execArgv)).toMatch(why);
  });

  test('a script merely named like a runner, outside node_modules, can be', () => {
    expect(whyNotReexecutable(['/usr/bin/node', '/srv/jest/app.js'], [])).toBeUndefined();
  });
});

describe('assertReexecutable', () => {
  test("throws a clear error naming why, and the way out (run from a file, or the exec option)", () => {
    expect(() => assertReexecutable({}, ['/usr/bin/node'], ['-e', 'x'])).toThrow(
      /^PreforkIPC\.start\(\) cannot make child processes: the script was given with node -e\/-p .*run the manager from a file .*the `exec` option\.$/,
    );
  });

  test('the exec option names the script: nothing to check', () => {
    expect(() => assertReexecutable({ file: 'worker.js' }, ['/usr/bin/node'], ['-e', 'x'])).not.toThrow();
  });
});

describe('reexecCommand: the command line of one child', () => {
  test('this node, the same flags, the entry script (absolute) and its arguments', () => {
    const command = reexecCommand({}, ['/usr/bin/node', 'server.js', '--port', '80'], ['--max-old-space-size=512', '--enable-source-maps'], {});
    expect(command).toEqual({
      file: process.execPath,
      args: ['--max-old-space-size=512', '--enable-source-maps', path.resolve('server.js'), '--port', '80'],
      env: {},
    });
  });

  test('flags that would make the child run something other than the file are left out, with their values', () => {
    const command = reexecCommand({}, ['/usr/bin/node', SCRIPT], ['--watch-path', 'src', '--watch', '--test', '-i', '--trace-warnings'], {});
    expect(command.args).toEqual(['--trace-warnings', SCRIPT]);
  });

  test("the exec option: its file, args and execArgv instead of this process's", () => {
    const command = reexecCommand({ file: 'worker.js', args: ['--shard', '2'], execArgv: ['--no-warnings'] }, ['/usr/bin/node', SCRIPT, 'ignored'], ['--inspect-brk-is-not-used'], {});
    expect(command).toEqual({ file: process.execPath, args: ['--no-warnings', path.resolve('worker.js'), '--shard', '2'], env: {} });
  });

  test('under --inspect, each child gets an inspector port of its own, counting up from the manager\'s', () => {
    const first = reexecCommand({}, ['/usr/bin/node', SCRIPT], ['--inspect'], {}).args;
    const second = reexecCommand({}, ['/usr/bin/node', SCRIPT], ['--inspect'], {}).args;
    const port = (args: string[]): number => Number(/^--inspect-port=(\d+)$/.exec(args.find((a) => a.startsWith('--inspect-port='))!)![1]);
    expect(first.slice(0, 1)).toEqual(['--inspect']);
    expect(port(first)).toBeGreaterThan(process.debugPort);
    expect(port(second)).toBe(port(first) + 1);
    expect(first.at(-1)).toBe(SCRIPT); // the port flag goes before the script
  });

  test('a manager that asked for port 0 gives its children port 0; --inspect in NODE_OPTIONS counts too', () => {
    expect(reexecCommand({}, ['/usr/bin/node', SCRIPT], ['--inspect=0'], {}).args).toEqual(['--inspect=0', '--inspect-port=0', SCRIPT]);
    expect(reexecCommand({}, ['/usr/bin/node', SCRIPT], [], { NODE_OPTIONS: '--inspect' }).args[0]).toMatch(/^--inspect-port=\d+$/);
    expect(reexecCommand({}, ['/usr/bin/node', SCRIPT], [], { NODE_OPTIONS: '--max-old-space-size=100' }).args).toEqual([SCRIPT]);
  });

  test('refuses, with the same error, when there is no script to run', () => {
    expect(() => reexecCommand({}, ['/usr/bin/node'], [], {})).toThrow(/cannot make child processes: there is no script file/);
  });
});
