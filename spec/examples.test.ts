import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its matchers are typed: the global expect's stringMatching() returns any
import Database from 'better-sqlite3';
import { run, start, ROOT, FIXTURES, type Running } from './support/run';

const EXAMPLES = path.join(ROOT, 'examples');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-examples-'));
// A smaller list than examples/data/usernames.txt: each username costs one worker process.
const USERNAMES_FILE = path.join(FIXTURES, 'examples', 'usernames.txt');
const USERNAMES = readFileSync(USERNAMES_FILE, 'utf8').split('\n').filter(Boolean);

/** Examples run as the README says: node with tsx's CommonJS hook (-r tsx/cjs), which the workers inherit. */
function example(name: string, args: string[]): Running {
  return start(['--require', 'tsx/cjs', path.join(EXAMPLES, name), ...args], { command: process.execPath });
}

function writeJson(file: string, value: object): string {
  writeFileSync(file, JSON.stringify(value));
  return file;
}

test('package.json "demo" builds and runs the synopsis example with tsx', () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(manifest.scripts.demo).toBe('npm run build && node --require tsx/cjs examples/synopsis.ts');
});

describe('examples/synopsis.ts', () => {
  function config(name: string, maxWorkers: number, workMs: number): string {
    const database = path.join(dir, `${name}.sqlite`);
    return writeJson(path.join(dir, `${name}.json`), { database, usernames: USERNAMES_FILE, maxWorkers, workMs });
  }

  function users(database: string): Array<{ name: string; status: string; data: string | null }> {
    const db = new Database(database, { readonly: true });
    try {
      return db.prepare('SELECT name, status, data FROM users ORDER BY id').all() as Array<{ name: string; status: string; data: string | null }>;
    } finally {
      db.close();
    }
  }

  test('creates and seeds the database, processes every username once, stores the results', async () => {
    const file = config('synopsis', 3, 20);
    const finished = await example('synopsis.ts', [file]).done;
    expect(finished.code).toBe(0);
    const stored = finished.stdout.split('\n').filter((l) => l.startsWith('stored '));
    expect(stored.map((l) => l.split(':')[0].slice('stored '.length)).sort()).toEqual([...USERNAMES].sort());
    expect(finished.stdout).toContain(`${USERNAMES.length} of ${USERNAMES.length} users done; 0 workers still running; stopped by TERM`);
    expect(finished.stderr).toContain(`seeded ${USERNAMES.length} usernames`);
    expect(finished.stderr).not.toMatch(/problem with/);

    const rows = users(path.join(dir, 'synopsis.sqlite'));
    expect(rows.map((r) => r.name)).toEqual(USERNAMES);
    for (const row of rows) {
      expect(row.status).toBe('done');
      expect(JSON.parse(row.data!)).toMatchObject({ letters: row.name.length, sha256: expect.stringMatching(/^[0-9a-f]{16}$/) });
    }
    const db = new Database(path.join(dir, 'synopsis.sqlite'), { readonly: true });
    const events = db.prepare('SELECT name, note FROM events').all() as Array<{ name: string; note: string }>;
    db.close();
    expect(events.filter((e) => e.name === 'got username').map((e) => e.note).sort()).toEqual([...USERNAMES].sort());
    expect(events.filter((e) => e.name === 'finished work').map((e) => e.note).sort()).toEqual([...USERNAMES].sort());

    // A second run finds everything done and starts a new round on the same file.
    const again = await example('synopsis.ts', [file]).done;
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('starting a new round');
    expect(again.stderr).not.toContain('seeded');
    expect(again.stdout).toContain(`${USERNAMES.length} of ${USERNAMES.length} users done`);
  });

  test('HUP reloads the config for a new generation; no username is lost', async () => {
    const file = config('synopsis-hup', 2, 300);
    const running = example('synopsis.ts', [file]);
    await running.waitFor('stored ', 20_000);
    writeJson(file, { ...(JSON.parse(readFileSync(file, 'utf8')) as object), maxWorkers: 4, workMs: 20 });
    running.child.kill('SIGHUP');
    const finished = await running.done;
    expect(finished.code).toBe(0);
    expect(finished.stderr).toContain('generation 1: 2 workers, 300 ms');
    expect(finished.stderr).toContain('generation 2: 4 workers, 20 ms');
    expect(finished.stdout).toContain(`${USERNAMES.length} of ${USERNAMES.length} users done`);
    expect(users(path.join(dir, 'synopsis-hup.sqlite')).every((r) => r.status === 'done')).toBe(true);
  });
});

test('examples/reload.ts: HUP changes the config and maxWorkers without dropping or interrupting work', async () => {
  const file = writeJson(path.join(dir, 'reload.json'), { maxWorkers: 2, multiplier: 1, workMs: 40, jobsPerWorker: 4 });
  const running = example('reload.ts', [file]);
  await running.waitForEvents('done', 4);
  writeJson(file, { maxWorkers: 3, multiplier: 10, workMs: 40, jobsPerWorker: 4 });
  running.child.kill('SIGHUP');
  await running.waitFor((out) => out.split('\n').filter((l) => l.includes('"done"') && l.includes('"generation":2')).length >= 6);
  running.child.kill('SIGTERM');
  const finished = await running.done;
  expect(finished.code).toBe(0);

  const done = finished.events.filter((e) => e.event === 'done') as Array<{ job: number; result: number; generation: number }>;
  // Every job handed out was done exactly once: 1..N with no gap and no repeat.
  expect(done.map((d) => d.job).sort((a, b) => a - b)).toEqual(done.map((_, i) => i + 1));
  for (const d of done) expect(d.result).toBe(d.job * (d.generation === 1 ? 1 : 10));
  // No worker was killed: HUP and TERM forward nothing, running jobs complete.
  expect(finished.events.filter((e) => e.event === 'reap').every((e) => e.status === 0)).toBe(true);
  expect(finished.events.filter((e) => e.event === 'generation').map((e) => e.maxWorkers)).toEqual([2, 3]);
  expect(finished.events.some((e) => e.event === 'spawn' && e.generation === 2 && e.workers === 3)).toBe(true);
  expect(finished.events.at(-1)).toMatchObject({ event: 'end', done: done.length, left: 0, signal: 'TERM' });
});

test('examples/cli: the handler over the job file gives the expected results', async () => {
  const finished = await run(
    [path.join(ROOT, 'bin', 'prefork-ipc.js'), '--workers', '2', path.join(EXAMPLES, 'cli', 'handler.ts'), path.join(EXAMPLES, 'cli', 'jobs.ndjson')],
    { command: process.execPath },
  );
  expect(finished.code).toBe(1); // one job in the file is meant to fail
  expect(finished.stderr).toBe('');
  expect(finished.stdout).toBe(readFileSync(path.join(FIXTURES, 'examples', 'cli-expected.ndjson'), 'utf8'));
});
