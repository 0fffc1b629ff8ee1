// Every way a user runs a manager script, end to end with the real commands.
// The commands are slow to start (type-checking ts-node takes seconds), so all
// of them are launched at once in beforeAll and each test checks its own result.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ROOT, spawnInGroup } from './support/run';

const DIR = path.join(ROOT, 'spec', 'fixtures', 'running');
const TS_NODE = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PRELOAD = path.join(ROOT, 'dist', 'launch', 'ts-child-preload.js');
const RUN_TIMEOUT_MS = 40_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  events: Array<Record<string, unknown>>;
}

interface Report {
  answer: string;
  execArgv: string[];
  args: string[];
  cwd: string;
  nodeOptions: string | null;
  compilers: { typescript: boolean; swc: boolean };
  where: string | null;
  childOnly: { value: string; where: string; compilers: { typescript: boolean; swc: boolean } } | null;
}

const running = new Set<ChildProcess>();

function launch(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<Result> {
  const env = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  // Scope 'file': these run across the whole file; their process groups are killed after its last test.
  const child = spawnInGroup(process.execPath, args, { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] }, 'file');
  running.add(child);
  child.stdin!.end(options.input ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      const events = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, stdout, stderr, events });
    });
  });
}

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The reports of the children that finished normally; checks that the run as a whole went right.
 * At least `wanted`: the replacement spawned after the first reap can finish before the TERM that
 * the last wanted reap sends reaches it (seen once under Node 24), and is then a third clean exit.
 */
function reports(result: Result, wanted = 2): Report[] {
  const ok = result.events.filter((e) => e.event === 'reap' && e.status === 0).map((e) => e.report as Report);
  if (result.code !== 0 || ok.length < wanted || result.events.at(-1)?.event !== 'end') {
    throw new Error(`the run failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  for (const report of ok) expect(report.answer).toMatch(/^hello \d+$/);
  return ok;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port that is free, and so are the next `count` after it (for the children's inspectors). */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const first = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (first + count > 65535) continue;
    let free = true;
    for (let port = first + 1; free && port <= first + count; port++) free = await portIsFree(port);
    if (free) return first;
  }
}

const CHILD_ERROR = /PreforkIPC\.start\(\) cannot make child processes: (.*)/;
const startError = `const { PreforkIPC } = require(${JSON.stringify(path.join(ROOT, 'dist'))});
new PreforkIPC({ maxWorkers: 1 }).start().then(
  () => console.log('STARTED'),
  (err) => console.log('START_ERROR ' + err.message),
);`;

let runs: Record<string, Promise<Result>>;
let inspectPort: number;

beforeAll(async () => {
  inspectPort = await freePorts(5);
  const userArgs = ['x', 'y z'];
  const nodeOptions = { NODE_OPTIONS: '--max-old-space-size=300' };
  runs = {
    cjs: launch([path.join(DIR, 'report.js'), ...userArgs], { cwd: DIR, env: nodeOptions }),
    esm: launch([path.join(DIR, 'report.mjs')]),
    esmSameExports: launch([
      '--input-type=module',
      '-e',
      `import * as esm from 'parallel-prefork-ipc'; import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('parallel-prefork-ipc');
       console.log(JSON.stringify({ names: Object.keys(esm).sort(), cjsNames: Object.keys(cjs).sort(), same: esm.PreforkIPC === cjs.PreforkIPC && esm.CallbackError === cjs.CallbackError }));`,
    ]),
    esmTypes: launch([TSC, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', path.join(DIR, 'types.mts'), path.join(DIR, 'types.cts')]),
    tsNode: launch(['--no-deprecation', TS_NODE, path.join(DIR, 'report.ts'), ...userArgs], { cwd: DIR, env: { ...nodeOptions, REPORT_CHILD_ONLY: '1' } }),
    tsNodeFromSources: launch([TS_NODE, path.join(DIR, 'report-sources.ts')]),
    stale: launch([TS_NODE, '--transpile-only', path.join(DIR, 'stale.ts')], { env: { STALE_ID: String(process.pid) } }),
    tsNodeTranspileOnly: launch([TS_NODE, '--transpile-only', path.join(DIR, 'report.ts')]),
    tsNodeSwc: launch([TS_NODE, '--swc', path.join(DIR, 'report.ts')]),
    register: launch(['-r', 'ts-node/register', path.join(DIR, 'report.ts'), ...userArgs], { env: nodeOptions }),
    registerInNodeOptions: launch([path.join(DIR, 'report.ts')], { env: { NODE_OPTIONS: '--max-old-space-size=300 -r ts-node/register/transpile-only' } }),
    tsx: launch([TSX, path.join(DIR, 'report.ts'), ...userArgs]),
    importTsx: launch(['--import', 'tsx', path.join(DIR, 'report.ts')]),
    inspect: launch(['--inspect=127.0.0.1:' + inspectPort, path.join(DIR, 'report.js')], { env: { CHILDREN: '3', MAX_WORKERS: '3' } }),
    exec: launch([path.join(DIR, 'report.js')], {
      env: { REPORT_EXEC: JSON.stringify({ file: path.join(DIR, 'report.js'), args: ['w'], execArgv: ['--no-deprecation'] }) },
    }),
    evalWithExec: launch(['-e', `require(${JSON.stringify(path.join(DIR, 'report-loop.js'))}).runReport(require(${JSON.stringify(path.join(ROOT, 'dist'))}).PreforkIPC, { exec: ${JSON.stringify(path.join(DIR, 'report.js'))} })`, 'a1', 'a2']),
    eval: launch(['-e', startError]),
    repl: launch(['-i'], { input: startError + '\n' }),
    stdin: launch(['-'], { input: startError }),
    nodeTest: launch(['--test', '--test-reporter=tap', path.join(DIR, 'node-test-start.js')]),
  };
});

describe('compiled JavaScript', () => {
  test('node report.js (CommonJS): children get the same arguments, NODE_OPTIONS and working directory', async () => {
    for (const report of reports(await runs.cjs)) {
      expect(report).toMatchObject({ args: ['x', 'y z'], cwd: DIR, nodeOptions: '--max-old-space-size=300', execArgv: [] });
    }
  });

  test('node report.mjs importing the package as ESM', async () => {
    reports(await runs.esm);
  });

  test('import and require give the same objects (one copy of the library, no dual-package hazard)', async () => {
    const { stdout, stderr } = await runs.esmSameExports;
    const seen = JSON.parse(stdout || `"${stderr}"`) as { names: string[]; cjsNames: string[]; same: boolean };
    expect(seen.names).toEqual(expect.arrayContaining(['PreforkIPC', 'CallbackError']));
    expect(seen.names).toEqual(seen.cjsNames.filter((name) => name !== '__esModule' && name !== 'default'));
    expect(seen.same).toBe(true);
  });

  test('the package has types for import (nodenext .mts) and require (.cts)', async () => {
    const result = await runs.esmTypes;
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('TypeScript', () => {
  const NO_COMPILER = { typescript: false, swc: false };
  const REPORT_TS_LINE_8 = `${path.join(DIR, 'report.ts')}:8:`;

  test('ts-node (type-checking): children load no compiler, served what the manager compiled; flags, NODE_OPTIONS, cwd and arguments kept', async () => {
    const result = await runs.tsNode;
    const manager = result.events.find((e) => e.event === 'manager')!;
    expect(manager.execArgv).toEqual(['--no-deprecation', TS_NODE]);
    for (const report of reports(result)) {
      expect(report).toMatchObject({
        execArgv: ['--no-deprecation', '-r', PRELOAD],
        args: ['x', 'y z'],
        cwd: DIR,
        nodeOptions: '--max-old-space-size=300',
        compilers: NO_COMPILER,
      });
      // Stack traces still point into the .ts file (the compiled code carries its source map).
      expect(report.where).toContain(REPORT_TS_LINE_8);
      // A module the manager never loaded is compiled in the child, by ts-node with swc, on first need.
      expect(report.childOnly).toMatchObject({ value: 'compiled in the child', compilers: { typescript: true, swc: true } });
      expect(report.childOnly!.where).toContain(`${path.join(DIR, 'child-only.ts')}:6:`);
    }
  });

  test('a module edited on disk after the manager compiled it is compiled afresh in the child, not served stale', async () => {
    const { events, stderr } = await runs.stale;
    expect(events).toEqual([
      { event: 'reap', status: 0, version: 3 },
      { event: 'end', managerLoaded: 1 },
    ]);
    expect(stderr).toBe('');
  });

  test('ts-node running this library from its .ts sources: children fall back to ts-node --transpile-only --swc', async () => {
    for (const report of reports(await runs.tsNodeFromSources)) {
      expect(report.execArgv).toEqual([TS_NODE, '--transpile-only', '--swc']);
    }
  });

  test('ts-node --transpile-only and ts-node --swc: children are served the compiled modules too', async () => {
    for (const report of reports(await runs.tsNodeTranspileOnly)) expect(report).toMatchObject({ execArgv: ['-r', PRELOAD], compilers: NO_COMPILER });
    for (const report of reports(await runs.tsNodeSwc)) expect(report).toMatchObject({ execArgv: ['-r', PRELOAD], compilers: NO_COMPILER });
  });

  test('node -r ts-node/register: children are served the compiled modules, with the same arguments and NODE_OPTIONS', async () => {
    for (const report of reports(await runs.register)) {
      expect(report).toMatchObject({ execArgv: ['-r', PRELOAD], args: ['x', 'y z'], nodeOptions: '--max-old-space-size=300', compilers: NO_COMPILER });
      expect(report.where).toContain(REPORT_TS_LINE_8);
    }
  });

  test('NODE_OPTIONS="-r ts-node/register/transpile-only": the register flag leaves the children’s NODE_OPTIONS, the rest stays', async () => {
    for (const report of reports(await runs.registerInNodeOptions)) {
      expect(report).toMatchObject({ execArgv: ['-r', PRELOAD], nodeOptions: '--max-old-space-size=300', compilers: NO_COMPILER });
    }
  });

  test('tsx script.ts and node --import tsx script.ts: children run under tsx, loading no TypeScript compiler', async () => {
    for (const report of reports(await runs.tsx)) {
      expect(report.args).toEqual(['x', 'y z']);
      expect(report.execArgv.join(' ')).toMatch(/tsx/);
      expect(report.compilers).toEqual(NO_COMPILER);
    }
    for (const report of reports(await runs.importTsx)) expect(report.execArgv).toEqual(['--import', 'tsx']);
  });
});

describe('other ways to start node', () => {
  test('node --inspect: every child gets its own inspector port', async () => {
    const result = await runs.inspect;
    const ports = [...result.stderr.matchAll(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => Number(m[1]));
    expect(result.stderr).not.toMatch(/address already in use/);
    reports(result, 3);
    expect(ports[0]).toBe(inspectPort);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.length).toBeGreaterThanOrEqual(4); // the manager and at least three children
  });

  test('exec: { file, args, execArgv } decides what the children run', async () => {
    for (const report of reports(await runs.exec)) expect(report).toMatchObject({ args: ['w'], execArgv: ['--no-deprecation'] });
  });

  test('node -e with exec: the children run the named script with the -e arguments', async () => {
    for (const report of reports(await runs.evalWithExec)) expect(report).toMatchObject({ args: ['a1', 'a2'], execArgv: [] });
  });

  test.each([
    ['eval', /node -e\/-p/],
    ['repl', /the REPL/],
    ['stdin', /standard input/],
  ])('%s: start() rejects with a clear error, no child is made', async (name, reason) => {
    const { stdout } = await runs[name];
    expect(stdout).not.toMatch(/STARTED/);
    expect(stdout).toMatch(CHILD_ERROR);
    expect(CHILD_ERROR.exec(stdout)![1]).toMatch(reason);
    expect(stdout).toMatch(/the `exec` option/);
  });

  test('node --test: start() in a test file rejects clearly; with exec, a manager in a test works', async () => {
    const { stdout, code } = await runs.nodeTest;
    expect(stdout).toMatch(/START_ERROR .*this process runs tests with node:test/);
    expect(stdout).toMatch(/EXEC_REPORT \{"answer":"hello \d+"/);
    expect(stdout).toMatch(/^# pass 2$/m);
    expect(code).toBe(0);
  });
});
