/**
 * Reaching the queue's database: where the URL comes from, that its password
 * shows up nowhere (errors, workers' command lines and environments), and that
 * a server that never answers, or is not Postgres, ends each command with an
 * error naming the host and port within a bounded time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, ROOT, FIXTURES, type Finished } from './support/run';
import { startPostgres, type Postgres } from './support/postgres';

const BIN = path.join(ROOT, 'bin', 'prefork-ipc.js');
const HANDLER = path.join(FIXTURES, 'queue', 'square.js');
const WHOAMI = path.join(FIXTURES, 'queue', 'whoami.js');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-connect-'));
const SECRET = 's3cret-Pw';

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

/** Runs the CLI with no URL in the environment unless given. */
function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<Finished> {
  const clean = { ...process.env };
  delete clean.PGBOSS_URL;
  delete clean.DATABASE_URL;
  const running = start([BIN, ...args], { command: process.execPath, env: { ...clean, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) running.child.stdin!.end(input);
  return running.done;
}

/** A TCP server on loopback: `silent` accepts and never answers; `garbage` answers with something that is not Postgres. */
async function fakeServer(kind: 'silent' | 'garbage'): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    if (kind === 'garbage') socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

test('a server that accepts and never answers: the manager, enqueue and results each fail within the connect timeout, naming host and port, never the password', async () => {
  const { server, port } = await fakeServer('silent');
  try {
    const url = `postgres://user:${SECRET}@127.0.0.1:${port}/db`;
    const env = { PGBOSS_URL: url, PGCONNECT_TIMEOUT: '1' };
    const began = Date.now();
    const ends = await Promise.all([
      cli(['--queue', 'q', '-w', '1', HANDLER], env),
      cli(['enqueue', '--queue', 'q'], env, '{"n":1}\n'),
      cli(['results', '--queue', 'q'], env),
    ]);
    expect(Date.now() - began).toBeLessThan(30_000); // 1 s each, with room for a busy machine; before: forever
    for (const end of ends) {
      expect(end.code).toBe(2);
      expect(end.stderr).toContain(`Postgres at 127.0.0.1:${port}:`);
      expect(end.stderr).toMatch(/(no answer within 1 s|timeout expired) \(is that host and port right, and the server up\?/);
      expect(end.stderr).not.toContain(SECRET);
    }
  } finally {
    server.close();
  }
}, 60_000);

test('a server that is not Postgres, a port out of range, a URL that is not postgres://: each says what is wrong, never the password', async () => {
  const { server, port } = await fakeServer('garbage');
  try {
    const notPostgres = await cli(['results', '--queue', 'q'], { PGBOSS_URL: `postgres://u:${SECRET}@127.0.0.1:${port}/db`, PGCONNECT_TIMEOUT: '5' });
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr).toContain(`Postgres at 127.0.0.1:${port}:`);
    expect(notPostgres.stderr).toMatch(/without speaking the Postgres protocol|is that the right host and port/);
    expect(notPostgres.stderr).not.toContain(SECRET);
  } finally {
    server.close();
  }
  const badPort = await cli(['--queue', 'q', '--pg-boss', `postgres://u:${SECRET}@127.0.0.1:70000/db`, HANDLER]);
  expect(badPort.code).toBe(2);
  expect(badPort.stderr).toContain('port must be a number from 1 to 65535, got "70000"');
  const scheme = await cli(['enqueue', '--queue', 'q'], { PGBOSS_URL: `mysql://u:${SECRET}@127.0.0.1/db` });
  expect(scheme.code).toBe(2);
  expect(scheme.stderr).toContain('$PGBOSS_URL: the database URL must start with postgres://');
  expect(scheme.stderr).toContain('mysql://u:***@127.0.0.1/db');
  for (const end of [badPort, scheme]) expect(end.stderr).not.toContain(SECRET);
  const none = await cli(['results', '--queue', 'q']);
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('no database URL: set PGBOSS_URL');
}, 60_000);

test('the URL from $PGBOSS_URL, $DATABASE_URL or --pg-boss-file: the workers get it in neither their command line nor their environment', async () => {
  const file = path.join(dir, 'db-url');
  writeFileSync(file, `${pg.url}\n`);
  const sources: Array<{ args: string[]; env: Record<string, string> }> = [
    { args: [], env: { PGBOSS_URL: pg.url } },
    { args: [], env: { DATABASE_URL: pg.url } },
    { args: ['--pg-boss-file', file], env: {} },
    { args: ['--pg-boss', pg.url], env: {} },
  ];
  for (const [i, { args, env }] of sources.entries()) {
    const queue = `conn${i}_${process.pid}`;
    const enqueued = await cli(['enqueue', '--queue', queue, ...args], env, '{"n":1}\n');
    expect(enqueued.stderr).toContain('enqueued 1 jobs');
    const ran = await cli(['--queue', queue, '-w', '1', '--timeout', '60000', ...args, WHOAMI], env);
    expect(ran.code).toBe(0);
    const listed = await cli(['results', '--queue', queue, ...args], env);
    const [line] = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { result: { argv: string[]; env: string[] } });
    expect(line.result.argv.join(' ')).not.toContain(pg.url);
    expect(line.result.argv).toContain(WHOAMI);
    // $DATABASE_URL is the user's (a handler may use its own database); PGBOSS_URL, ours, is removed.
    expect(line.result.env).toEqual(env.DATABASE_URL ? ['DATABASE_URL'] : []);
  }
}, 120_000);

test('queue names: one pg-boss cannot store is refused up front, saying what is allowed; results for a queue that does not exist fails, naming it', async () => {
  const env = { PGBOSS_URL: pg.url };
  const backslash = await cli(['enqueue', '--queue', 'a\\b'], env, '{"n":1}\n');
  expect(backslash.code).toBe(2);
  expect(backslash.stderr).toContain('--queue must be 1 to 200 letters, digits, and _ - . : /');
  const punct = await cli(['--queue', '***', HANDLER], env);
  expect(punct.code).toBe(2);
  expect(punct.stderr).toContain('--queue must be');
  const typo = await cli(['results', '--queue', `no_such_queue_${process.pid}`], env);
  expect(typo.code).toBe(1);
  expect(typo.stderr).toContain(`the queue "no_such_queue_${process.pid}" does not exist`);
}, 60_000);
