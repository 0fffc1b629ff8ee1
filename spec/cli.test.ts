import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its matchers are typed: the global expect's stringMatching() returns any
import { expectBehaviour } from './support/behaviour';
import { run, start, ROOT, FIXTURES, type Finished } from './support/run';

const BIN = path.join(ROOT, 'bin', 'prefork-ipc.js');
const HANDLERS = path.join(FIXTURES, 'cli');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-cli-'));

type Result = { job: number; ok: boolean; result?: unknown; error?: string };

function jobFile(name: string, lines: unknown[] /* JSON values, or { raw } for a line as is */): string {
  const file = path.join(dir, name);
  const text = lines.map((l) => (l !== null && typeof l === 'object' && 'raw' in l ? (l as { raw: string }).raw : JSON.stringify(l)));
  writeFileSync(file, text.join('\n') + '\n');
  return file;
}

function cli(args: string[], options: Parameters<typeof run>[1] = {}): Promise<Finished> {
  return run([BIN, ...args], { command: process.execPath, ...options });
}

function results(finished: Finished): Result[] {
  const lines = finished.stdout.split('\n').filter((l) => l !== '');
  return lines.map((l) => JSON.parse(l) as Result); // every stdout line must be a result
}

test('10,000 jobs through a trivial handler: one result per job, in input order, exit 0', async () => {
  const file = path.join(dir, 'many.ndjson');
  writeFileSync(file, Array.from({ length: 10_000 }, (_, i) => String(i)).join('\n') + '\n');
  const finished = await cli(['--workers', '2', path.join(HANDLERS, 'double.js'), file]);
  expect(finished.stderr).toBe('');
  expect(finished.code).toBe(0);
  const out = results(finished);
  expect(out).toHaveLength(10_000);
  out.forEach((r, i) => expect(r).toEqual({ job: i, ok: true, result: i * 2 }));
});

test('--unordered writes every result exactly once, as jobs complete', async () => {
  const file = jobFile('unordered.ndjson', [{ sleep: 300, ok: 'slow' }, { ok: 'fast-1' }, { ok: 'fast-2' }, { ok: 'fast-3' }]);
  const finished = await cli(['-w', '2', '--unordered', path.join(HANDLERS, 'behave.js'), file]);
  expect(finished.code).toBe(0);
  const out = results(finished);
  expect(out.map((r) => r.job).sort()).toEqual([0, 1, 2, 3]);
  expect(out.at(-1)).toEqual({ job: 0, ok: true, result: 'slow' }); // the slow first job came out last
});

test('a throwing, a hanging and a crashing handler, and malformed lines, each fail only their own job', async () => {
  const file = jobFile('mixed.ndjson', [
    { ok: 1 },
    { throw: 'boom' },
    { raw: 'not json' },
    { hang: true },
    { raw: '' }, // a blank line is not a job
    { crash: true },
    { raw: '{"half":' },
    null,
    { log: 'printed by the handler', ok: 'after log' },
    { raw: '1 2' },
    { bigint: true },
    { ok: { nested: [1, null, 'x'] } },
  ]);
  const began = Date.now();
  const finished = await cli(['-w', '2', '--timeout', '400', path.join(HANDLERS, 'behave.js'), file]);
  expect(finished.code).toBe(1);
  const out = results(finished);
  expect(out.map((r) => r.job)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(out[0]).toEqual({ job: 0, ok: true, result: 1 });
  expect(out[1]).toEqual({ job: 1, ok: false, error: 'Error: boom' });
  expect(out[2]).toMatchObject({ ok: false, error: expect.stringMatching(/^line 3: not valid JSON/) });
  expect(out[3]).toEqual({ job: 3, ok: false, error: 'timed out after 400 ms; the worker was killed' });
  expect(out[4]).toMatchObject({ ok: false, error: expect.stringMatching(/^the worker process \(pid \d+\) exited with status 137 while running the job$/) });
  expect(out[5]).toMatchObject({ ok: false, error: expect.stringMatching(/^line 7: not valid JSON/) });
  expect(out[6]).toMatchObject({ ok: true, result: { echo: null, ctx: { index: 6, line: 8, attempt: 1 } } });
  expect(out[7]).toEqual({ job: 7, ok: true, result: 'after log' });
  expect(out[8]).toMatchObject({ ok: false, error: expect.stringMatching(/^line 10: not valid JSON/) });
  expect(out[9]).toMatchObject({ ok: false, error: expect.stringMatching(/not JSON-serialisable/) });
  expect(out[10]).toEqual({ job: 10, ok: true, result: { nested: [1, null, 'x'] } });
  // The handler's console.log went to stderr, not into the results.
  expect(finished.stderr).toContain('printed by the handler');
  expect(Date.now() - began).toBeLessThan(10_000);
});

test('CRLF job file (printf \'1\\r\\n\\r\\n2\\r\\n\'): the blank CRLF line is no job, the others are; exit 0', async () => {
  const file = path.join(dir, 'crlf.ndjson');
  writeFileSync(file, '1\r\n\r\n2\r\n');
  const finished = await cli(['-w', '1', path.join(HANDLERS, 'double.js'), file]);
  expect(finished.stderr).toBe('');
  expect(finished.code).toBe(0);
  expect(results(finished)).toEqual([
    { job: 0, ok: true, result: 2 },
    { job: 1, ok: true, result: 4 },
  ]);
});

test('--retries runs a failed job again, and reports the attempts when it keeps failing', async () => {
  const file = jobFile('retries.ndjson', [{ flaky: 3 }, { throw: 'always' }, { flaky: 5 }]);
  const finished = await cli(['-w', '2', '--retries', '2', path.join(HANDLERS, 'behave.js'), file]);
  expect(finished.code).toBe(1);
  expect(results(finished)).toEqual([
    { job: 0, ok: true, result: { attempt: 3 } },
    { job: 1, ok: false, error: 'Error: always (after 3 attempts)' },
    { job: 2, ok: false, error: 'Error: attempt 3 failed (after 3 attempts)' },
  ]);
});

test('--max-jobs-per-worker replaces a worker after N jobs', async () => {
  const file = jobFile('recycle.ndjson', [1, 2, 3, 4, 5, 6, 7]);
  const finished = await cli(['-w', '1', '--max-jobs-per-worker', '2', path.join(HANDLERS, 'pid.js'), file]);
  expect(finished.code).toBe(0);
  const pids = results(finished).map((r) => r.result as number);
  expect(pids.map((p) => pids.filter((q) => q === p).length)).toEqual([2, 2, 2, 2, 2, 2, 1]);
  expect(new Set(pids).size).toBe(4);
});

test('jobs from standard input, with a TypeScript handler (loaded through tsx) and an ES module handler', async () => {
  for (const [handler, expected] of [
    ['typed.ts', [{ upper: 'A', line: 1 }, { upper: 'BC', line: 2 }]],
    ['esm.mjs', [{ esm: true, job: { word: 'a' } }, { esm: true, job: { word: 'bc' } }]],
  ] as const) {
    const running = start([BIN, '-w', '2', path.join(HANDLERS, handler)], { command: process.execPath, stdio: ['pipe', 'pipe', 'pipe'] });
    running.child.stdin!.end('{"word":"a"}\n{"word":"bc"}');
    const finished = await running.done;
    expect(finished.stderr).toBe('');
    expect(finished.code).toBe(0);
    expect(results(finished).map((r) => r.result)).toEqual(expected);
  }
});

/** Resolves with the stderr so far once `matches` holds for it (the run's stderr is not watched by start()). */
function stderrUntil(running: ReturnType<typeof start>, matches: (stderr: string) => boolean, label: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!matches(running.stderr())) return;
      clearTimeout(timer);
      running.child.stderr!.off('data', check);
      resolve(running.stderr());
    };
    const timer = setTimeout(() => {
      running.child.stderr!.off('data', check);
      reject(new Error(`timed out waiting for ${label}; stderr so far:\n${running.stderr().slice(-2000)}`));
    }, timeoutMs);
    running.child.stderr!.on('data', check);
    setImmediate(check); // start() appends to stderr() in its own 'data' listener, registered first
  });
}

test('the manager reads only about 1,000 jobs ahead of its workers, then stops reading its input', async () => {
  // --progress without a terminal prints "…done/read…" once a second: how many jobs the manager has read.
  const running = start([BIN, '-w', '1', '--progress', path.join(HANDLERS, 'behave.js')], { command: process.execPath, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdin = running.child.stdin!;
  stdin.on('error', () => {}); // EPIPE once the clean-up kills the run
  // The one worker sleeps on the first job; behind it, 3,000 jobs of 10 kB (30 MB).
  const job = JSON.stringify({ ok: 'x'.repeat(10_000) }) + '\n';
  stdin.write(JSON.stringify({ sleep: 60_000, ok: 0 }) + '\n' + job.repeat(3000));
  const totals = (stderr: string): number[] => [...stderr.matchAll(/ \d+\/(\d+) done/g)].map((m) => Number(m[1]));
  // Wait until it has read 1,000 jobs, then for two more progress lines (two more seconds of reading, had it gone on).
  const reached = await stderrUntil(running, (stderr) => totals(stderr).some((total) => total >= 1000), 'a progress line with 1,000 jobs read');
  const seen = totals(reached).length;
  const later = totals(await stderrUntil(running, (stderr) => totals(stderr).length >= seen + 2, 'two more progress lines'));
  expectBehaviour('the manager went on reading jobs far ahead of its one busy worker (about 1,000 is the limit)', () =>
    expect(Math.max(...later)).toBeLessThanOrEqual(1100),
  );
  // About 1,000 jobs (10 MB) were taken; the rest is still waiting on our side of the pipe.
  expect(stdin.writableLength).toBeGreaterThan(15 * 1024 * 1024);
  stdin.destroy();
});

test('a reader that goes away (| head -1) ends the run quietly with exit 1', async () => {
  const file = path.join(dir, 'head.ndjson');
  writeFileSync(file, Array.from({ length: 50_000 }, (_, i) => String(i)).join('\n') + '\n');
  const running = start([BIN, '-w', '2', path.join(HANDLERS, 'double.js'), file], { command: process.execPath });
  await running.waitFor('"job":0');
  running.child.stdout!.destroy();
  const finished = await running.done;
  expect(finished.code).toBe(1);
  expect(finished.stderr).not.toMatch(/EPIPE|Error/);
});

/**
 * Resolves once `signal` is no longer pending for process `pid` (/proc/<pid>/status, the
 * process-wide and thread masks): the kernel has handed it over, and Node emits each signal
 * it takes separately. Checked every 10 ms, up to 20 s.
 */
async function delivered(pid: number, signal: NodeJS.Signals): Promise<void> {
  const bit = 1n << BigInt(osConstants.signals[signal] - 1);
  const pending = (): boolean => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return [...status.matchAll(/^(?:ShdPnd|SigPnd):\s*([0-9a-f]+)$/gm)].some((m) => (BigInt(`0x${m[1]}`) & bit) !== 0n);
  };
  const deadline = Date.now() + 20_000;
  while (pending()) {
    if (Date.now() > deadline) throw new Error(`SIG${signal} still pending for ${pid} after 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('signals', () => {
  const sleepers = (): string => jobFile('sleepers.ndjson', Array.from({ length: 12 }, (_, i) => ({ sleep: 500, ok: i })));

  async function interrupt(signal: NodeJS.Signals, opts: { group: boolean; second: boolean }): Promise<Finished> {
    // start() makes the CLI the leader of a process group of its own: -pid reaches it and its workers, as Ctrl-C would.
    const running = start([BIN, '-w', '3', path.join(HANDLERS, 'behave.js'), sleepers()], { command: process.execPath });
    const target = opts.group ? -running.child.pid! : running.child.pid!;
    // Wait until the first jobs are under way (the pool is up) and results have started to come.
    await running.waitFor('"job":0', 10_000);
    process.kill(target, signal);
    if (opts.second) {
      // Two signals sent before the first is delivered merge into one: send the second once the first is taken.
      await delivered(running.child.pid!, signal);
      process.kill(target, signal);
    }
    return running.done;
  }

  test('Ctrl-C (SIGINT to the process group): running jobs finish, no new job starts, exit 130', async () => {
    const finished = await interrupt('SIGINT', { group: true, second: false });
    expect(finished.code).toBe(130);
    const out = results(finished);
    // Jobs that were running when the signal came finished normally; the rest never started.
    expect(out.length).toBeGreaterThanOrEqual(3);
    expect(out.length).toBeLessThan(12);
    out.forEach((r, i) => expect(r).toEqual({ job: i, ok: true, result: i }));
  });

  test('a second SIGINT kills the running jobs, which are reported as interrupted', async () => {
    const finished = await interrupt('SIGINT', { group: true, second: true });
    expect(finished.code).toBe(130);
    const out = results(finished);
    const interrupted = out.filter((r) => !r.ok);
    expect(interrupted.length).toBeGreaterThan(0);
    for (const r of interrupted) expect(r.error).toBe('interrupted: the worker was killed by a second SIGINT');
    expect(out.length).toBeLessThan(12);
  });

  test('SIGTERM to the manager: running jobs finish, exit 143', async () => {
    const finished = await interrupt('SIGTERM', { group: false, second: false });
    expect(finished.code).toBe(143);
    const out = results(finished);
    expect(out.length).toBeLessThan(12);
    out.forEach((r, i) => expect(r).toEqual({ job: i, ok: true, result: i }));
  });
});

describe('usage', () => {
  test.each([
    [[], /missing HANDLER/],
    [['--bogus', 'x.js'], /Unknown option '--bogus'/],
    [['--workers', '0', 'x.js'], /--workers must be a whole number ≥ 1, got "0"/],
    [['--timeout', 'soon', 'x.js'], /--timeout must be a whole number ≥ 1/],
    [[path.join(dir, 'missing.js')], /HANDLER ".*missing\.js" does not exist/],
    [[path.join(HANDLERS, 'double.js'), 'a', 'b'], /too many arguments: b/],
    [[path.join(HANDLERS, 'double.js'), path.join(dir, 'no-such-jobs.ndjson')], /cannot read JOBS ".*no-such-jobs\.ndjson": ENOENT/],
    [['--progress', '--no-progress', 'x.js'], /contradict/],
  ])('%j exits 2 with a message', async (args, message) => {
    const finished = await cli(args);
    expect(finished.code).toBe(2);
    expect(finished.stdout).toBe('');
    expect(finished.stderr).toMatch(message);
  });

  test('--help and --version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: prefork-ipc \[options\] HANDLER \[JOBS\]/);
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('a handler module without a default export function stops the run with exit 2', async () => {
    const finished = await cli(['-w', '2', path.join(HANDLERS, 'no-default.js'), jobFile('one.ndjson', [1, 2, 3])]);
    expect(finished.code).toBe(2);
    expect(finished.stdout).toBe('');
    expect(finished.stderr).toMatch(/no-default\.js has no default export that is a function/);
  });
});

test('--progress draws done/failed/rate on stderr even when it is not a terminal', async () => {
  const file = jobFile('progress.ndjson', [{ ok: 1 }, { throw: 'x' }, { ok: 3 }]);
  const finished = await cli(['-w', '1', '--progress', path.join(HANDLERS, 'behave.js'), file]);
  expect(finished.code).toBe(1);
  expect(finished.stderr).toMatch(/3\/3 done \| 1 failed \| [\d.]+\/s \| ETA/);
  expect(results(finished)).toHaveLength(3);
});
