import { availableParallelism } from 'node:os';
import { parseCommandLine, USAGE, UsageError, type CliOptions } from '../../../lib/cli/args';

function run(...argv: string[]): CliOptions {
  const command = parseCommandLine(argv);
  if (command.kind !== 'run') throw new Error(`expected a run, got ${command.kind}`);
  return command.options;
}

function usageError(...argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).name).toBe('UsageError');
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

test('defaults', () => {
  expect(run('handler.js')).toEqual({
    handler: 'handler.js',
    input: undefined,
    workers: Math.max(1, availableParallelism()),
    timeoutMs: undefined,
    retries: 0,
    maxJobsPerWorker: 0,
    ordered: true,
    progress: undefined,
  });
});

test('every option, long and short', () => {
  const long = run('--workers', '3', '--timeout', '500', '--retries', '2', '--max-jobs-per-worker', '10', '--unordered', '--progress', 'h.ts', 'jobs.ndjson');
  expect(long).toEqual({ handler: 'h.ts', input: 'jobs.ndjson', workers: 3, timeoutMs: 500, retries: 2, maxJobsPerWorker: 10, ordered: false, progress: true });
  expect(run('-w', '3', '-t', '500', '-r', '2', '-m', '10', '--unordered', '--progress', 'h.ts', 'jobs.ndjson')).toEqual(long);
  expect(run('--workers=4', 'h.js').workers).toBe(4);
  expect(run('h.js', '-w', '4').workers).toBe(4); // options after positionals
});

test("'-' as JOBS is standard input", () => {
  expect(run('h.js', '-').input).toBeUndefined();
});

test('--no-progress turns the bar off', () => {
  expect(run('--no-progress', 'h.js').progress).toBe(false);
});

test('--help and --version win over everything else', () => {
  expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
  expect(parseCommandLine(['-h', 'h.js', '-w', '2'])).toEqual({ kind: 'help' });
  expect(parseCommandLine(['-V'])).toEqual({ kind: 'version' });
  expect(parseCommandLine(['--version', 'a', 'b', 'c'])).toEqual({ kind: 'version' });
  expect(parseCommandLine(['--help', '--version'])).toEqual({ kind: 'help' });
});

test('usage errors', () => {
  expect(usageError()).toBe('missing HANDLER');
  expect(usageError('a', 'b', 'c', 'd')).toBe('too many arguments: c d');
  expect(usageError('--progress', '--no-progress', 'h.js')).toBe('--progress and --no-progress contradict each other');
  expect(usageError('--frobnicate', 'h.js')).toMatch(/frobnicate/);
  expect(usageError('h.js', '--workers')).toMatch(/workers/);
});

test.each([
  ['workers', '0', 1],
  ['workers', '-1', 1],
  ['workers', '1.5', 1],
  ['workers', 'two', 1],
  ['workers', '', 1],
  ['workers', '1e3', 1],
  ['workers', '0x10', 1],
  ['timeout', '0', 1],
  ['retries', '-1', 0],
  ['max-jobs-per-worker', '0', 1],
  ['workers', '99999999999999999999', 1],
])('--%s %j is refused', (name, value, min) => {
  expect(usageError(`--${name}=${value}`, 'h.js')).toBe(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
});

test('--retries 0 is allowed; surrounding spaces are tolerated', () => {
  expect(run('--retries', '0', 'h.js').retries).toBe(0);
  expect(run('--workers', ' 2 ', 'h.js').workers).toBe(2);
});

test('the usage text names every option and the exit statuses', () => {
  for (const option of ['--workers', '--timeout', '--retries', '--max-jobs-per-worker', '--unordered', '--progress', '--no-progress', '--help', '--version']) {
    expect(USAGE).toContain(option);
  }
  expect(USAGE).toMatch(/Exit status: 0 .* 1 .* 2 /s);
});

describe('queue mode (--pg-boss)', () => {
  const URL = 'postgres://u:p@127.0.0.1:5432/db';

  test('--pg-boss URL --queue NAME: queue options with their defaults', () => {
    expect(run('--pg-boss', URL, '--queue', 'q', 'h.js').queue).toEqual({
      url: URL,
      name: 'q',
      follow: false,
      batchSize: undefined,
      pollMs: 500,
      schema: 'pgboss',
      maintenanceIntervalSeconds: undefined,
      heartbeatSeconds: undefined,
      urlFile: undefined,
    });
    const all = run('--pg-boss', URL, '--queue', 'q', '--follow', '--batch-size', '8', '--poll', '50', '--schema', 'boss_2', '--maintenance-interval', '5', '--heartbeat', '2', '-w', '3', 'h.js');
    expect(all.queue).toEqual({ url: URL, urlFile: undefined, name: 'q', follow: true, batchSize: 8, pollMs: 50, schema: 'boss_2', maintenanceIntervalSeconds: 5, heartbeatSeconds: 2 });
    // No URL on the command line: the manager reads it from a file or the environment (queue/flags.ts), so workers parse the same line without it.
    expect(run('--queue', 'q', 'h.js').queue).toMatchObject({ url: undefined, urlFile: undefined, name: 'q' });
    expect(run('--queue', 'q', '--pg-boss-file', '/run/secrets/db', 'h.js').queue).toMatchObject({ url: undefined, urlFile: '/run/secrets/db' });
    expect(all.workers).toBe(3);
    expect(run('h.js').queue).toBeUndefined();
  });

  test('queue usage errors', () => {
    expect(usageError('--pg-boss', URL, 'h.js')).toBe('--pg-boss needs --queue NAME');
    expect(usageError('--follow', 'h.js')).toBe('--follow needs --queue NAME');
    expect(usageError('--heartbeat', '5', 'h.js')).toBe('--heartbeat needs --queue NAME');
    expect(usageError('--pg-boss', 'mysql://x', '--queue', 'q', 'h.js')).toMatch(/must start with postgres:\/\//);
    expect(usageError('--pg-boss', URL, '--pg-boss-file', 'f', '--queue', 'q', 'h.js')).toMatch(/contradict/);
    expect(usageError('--pg-boss', URL, '--queue', 'a\\b', 'h.js')).toMatch(/--queue must be 1 to 200 letters, digits/);
    expect(usageError('--pg-boss', URL, '--queue', 'q', '--heartbeat', '0', 'h.js')).toMatch(/--heartbeat must be a whole number ≥ 1/);
    expect(usageError('--pg-boss', URL, '--queue', 'q', 'h.js', 'jobs.ndjson')).toMatch(/no JOBS argument/);
    expect(usageError('--pg-boss', URL, '--queue', 'q', '-r', '1', 'h.js')).toMatch(/--retries does not apply to a queue/);
    expect(usageError('--pg-boss', URL, '--queue', 'q', '--batch-size', '0', 'h.js')).toMatch(/--batch-size must be a whole number ≥ 1/);
    expect(usageError('--pg-boss', URL, '--queue', 'q', '--poll', '5', 'h.js')).toMatch(/--poll must be a whole number ≥ 10/);
    expect(usageError('--pg-boss', URL, '--queue', 'q', '--schema', 'x;drop', 'h.js')).toMatch(/--schema must be a Postgres name/);
  });
});
