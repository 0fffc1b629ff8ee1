/** The prefork-ipc command's standard output holds only result lines, whatever a handler writes or reads. */
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals';
import { MAX_JOB_LINE_BYTES } from '../lib/cli/job-reader';
import { run, ROOT, FIXTURES, type Finished } from './support/run';

const BIN = path.join(ROOT, 'bin', 'prefork-ipc.js');
const BEHAVE = path.join(FIXTURES, 'cli', 'behave.js');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-cli-stream-'));

type Result = { job: number; ok: boolean; result?: unknown; error?: string };

function results(finished: Finished): Result[] {
  // Every stdout line must be a result: JSON.parse throws on anything a handler printed.
  return finished.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Result);
}

async function writeLines(file: string, parts: Array<string | Buffer>): Promise<void> {
  const out = createWriteStream(file);
  for (const part of parts) if (!out.write(part)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

test("a handler's own writes to fd 1 (fs.writeSync(1), a subprocess with inherited stdio, console.log) go to stderr, never into the results", async () => {
  const file = path.join(dir, 'writes.ndjson');
  await writeLines(file, [
    `${JSON.stringify({ write1: 'written to fd 1', ok: 1 })}\n`,
    `${JSON.stringify({ echo: 'echoed by a subprocess', ok: 2 })}\n`,
    `${JSON.stringify({ log: 'console.log', ok: 3 })}\n`,
  ]);
  const finished = await run([BIN, '-w', '2', BEHAVE, file], { command: process.execPath });
  expect(finished.code).toBe(0);
  expect(results(finished)).toEqual([
    { job: 0, ok: true, result: 1 },
    { job: 1, ok: true, result: 2 },
    { job: 2, ok: true, result: 3 },
  ]);
  expect(finished.stderr).toContain('written to fd 1\n');
  expect(finished.stderr).toContain('echoed by a subprocess\n');
  expect(finished.stderr).toContain('console.log\n');
}, 60_000);

test('a job line over 64 MiB fails alone with a clear error, and the jobs after it run', async () => {
  const file = path.join(dir, 'huge.ndjson');
  const spaces = Buffer.alloc(8 * 1024 * 1024, 0x20);
  const parts: Array<string | Buffer> = ['{"ok":"before"}\n', '"'];
  for (let n = 0; n <= MAX_JOB_LINE_BYTES; n += spaces.length) parts.push(spaces);
  parts.push('"\n', '{"ok":"after"}\n', '{"ok":"last"}\n');
  await writeLines(file, parts);
  const finished = await run([BIN, '-w', '1', BEHAVE, file], { command: process.execPath });
  expect(finished.code).toBe(1); // one job failed
  const out = results(finished);
  expect(out.map((r) => [r.job, r.ok])).toEqual([
    [0, true],
    [1, false],
    [2, true],
    [3, true],
  ]);
  expect(out[1].error).toMatch(new RegExp(`^line 2: longer than ${MAX_JOB_LINE_BYTES} bytes \\(the limit for one job line; \\d+ read before it was dropped\\)$`));
  expect(out[3]).toEqual({ job: 3, ok: true, result: 'last' });
}, 120_000);

test("the library's warnings reach a command user in the command's terms (a worker, the handler), never ppi.finish()", async () => {
  const file = path.join(dir, 'exit.ndjson');
  await writeLines(file, [`${JSON.stringify({ exit: 3 })}\n`, `${JSON.stringify({ ok: 'after' })}\n`]);
  const finished = await run([BIN, '-w', '1', BEHAVE, file], { command: process.execPath });
  expect(finished.code).toBe(1);
  const out = results(finished);
  expect(out[0]).toMatchObject({ job: 0, ok: false, error: expect.stringMatching(/exited with status 3 while running the job$/) });
  expect(out[1]).toEqual({ job: 1, ok: true, result: 'after' });
  expect(finished.stderr).toMatch(/Warning: worker \d+ exited with status 3: the handler, or something it ran, ended the worker process/);
  expect(finished.stderr).not.toMatch(/finish\(\)|ppi\./);
}, 60_000);
