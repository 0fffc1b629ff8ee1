import { parseCommandLine, UsageError, type CliOptions } from '../../../lib/cli/args';

const URL = 'postgres://u:p@127.0.0.1:5432/db';

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
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

test('--pg-boss URL --queue NAME: queue options with their defaults', () => {
  expect(run('--pg-boss', URL, '--queue', 'q', 'h.js').queue).toEqual({
    url: URL,
    name: 'q',
    follow: false,
    batchSize: undefined,
    pollMs: 500,
    schema: 'pgboss',
    maintenanceIntervalSeconds: undefined,
  });
  const all = run('--pg-boss', URL, '--queue', 'q', '--follow', '--batch-size', '8', '--poll', '50', '--schema', 'boss_2', '--maintenance-interval', '5', '-w', '3', 'h.js');
  expect(all.queue).toEqual({ url: URL, name: 'q', follow: true, batchSize: 8, pollMs: 50, schema: 'boss_2', maintenanceIntervalSeconds: 5 });
  expect(all.workers).toBe(3);
  expect(run('h.js').queue).toBeUndefined();
});

test('queue usage errors', () => {
  expect(usageError('--pg-boss', URL, 'h.js')).toBe('--pg-boss needs --queue NAME');
  expect(usageError('--queue', 'q', 'h.js')).toBe('--queue needs --pg-boss URL');
  expect(usageError('--follow', 'h.js')).toBe('--follow needs --pg-boss URL');
  expect(usageError('--pg-boss', 'mysql://x', '--queue', 'q', 'h.js')).toMatch(/must be a postgres:\/\/ URL/);
  expect(usageError('--pg-boss', URL, '--queue', 'q', 'h.js', 'jobs.ndjson')).toMatch(/no JOBS argument/);
  expect(usageError('--pg-boss', URL, '--queue', 'q', '-r', '1', 'h.js')).toMatch(/--retries does not apply to a queue/);
  expect(usageError('--pg-boss', URL, '--queue', 'q', '--batch-size', '0', 'h.js')).toMatch(/--batch-size must be a whole number ≥ 1/);
  expect(usageError('--pg-boss', URL, '--queue', 'q', '--poll', '5', 'h.js')).toMatch(/--poll must be a whole number ≥ 10/);
  expect(usageError('--pg-boss', URL, '--queue', 'q', '--schema', 'x;drop', 'h.js')).toMatch(/--schema must be a Postgres name/);
});
