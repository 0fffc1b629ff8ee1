/**
 * The synopsis of Perl's Parallel::Prefork::IPC, made real.
 *
 * The manager owns an SQLite database (created and seeded from
 * data/usernames.txt on first run). Each worker asks the manager for the next
 * username through a callback, logs its progress through another, does some
 * work, and hands its data back with finish(); the manager stores it.
 *
 *   npm run demo
 *   node --require tsx/cjs examples/synopsis.ts [config.json]    (after npm run build)
 *
 * kill -HUP <manager pid>: the running workers are stopped (their usernames go
 * back to the queue), the config file is read again and a new generation starts.
 * kill -TERM / Ctrl-C: the workers are stopped and the manager exits.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { PreforkIPC } from '..';

interface Config {
  database: string;
  usernames: string;
  maxWorkers: number;
  workMs: number;
}

interface UserData {
  sha256: string;
  letters: number;
  workedBy: number;
}

interface FinalPayload {
  username: string;
  data: UserData;
}

const configFile = path.resolve(process.argv[2] ?? path.join(__dirname, 'synopsis.config.json'));

function loadConfig(): Config {
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as Config;
  const here = path.dirname(configFile);
  return { ...raw, database: path.resolve(here, raw.database), usernames: path.resolve(here, raw.usernames) };
}

let config = loadConfig();
let db: BetterSqlite3.Database | undefined;

/** Manager only: a database handle belongs to one process; workers reach the data through callbacks. */
function connectToDb(): BetterSqlite3.Database {
  // Loaded here rather than at the top, so the workers, which never touch the database, skip the native module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, in the manager only (see above)
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const handle = new Database(config.database);
  handle.pragma('journal_mode = WAL');
  handle.exec(`
    CREATE TABLE IF NOT EXISTS users (
      id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,
      status TEXT NOT NULL DEFAULT 'new',   -- new | working | done
      worker_pid INTEGER, data TEXT);
    CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY, pid INTEGER, name TEXT, note TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP);`);
  const { count } = handle.prepare('SELECT count(*) AS count FROM users').get() as { count: number };
  if (count === 0) {
    const names = readFileSync(config.usernames, 'utf8').split('\n').map((n) => n.trim()).filter(Boolean);
    const insert = handle.prepare('INSERT INTO users (name) VALUES (?)');
    handle.transaction(() => names.forEach((name) => insert.run(name)))();
    console.error(`seeded ${names.length} usernames into ${config.database}`);
  }
  return handle;
}

function pendingUsers(): number {
  const row = db!.prepare("SELECT count(*) AS n FROM users WHERE status <> 'done'").get() as { n: number };
  return row.n;
}

function getNextUsernameFromDatabase(pid: number): string {
  const row = db!
    .prepare(
      `UPDATE users SET status = 'working', worker_pid = ?
       WHERE id = (SELECT id FROM users WHERE status = 'new' ORDER BY id LIMIT 1) RETURNING name`,
    )
    .get(pid) as { name: string } | undefined;
  return row?.name ?? '';
}

function storeSomewhere(username: string, data: UserData): void {
  db!.prepare("UPDATE users SET status = 'done', worker_pid = NULL, data = ? WHERE name = ?").run(JSON.stringify(data), username);
  console.log(`stored ${username}: ${JSON.stringify(data)}`);
}

const ppi = new PreforkIPC({
  maxWorkers: config.maxWorkers,

  onChildReap: (ppi, pid, status, finalPayload?: FinalPayload) => {
    if (status === 0 && finalPayload) {
      storeSomewhere(finalPayload.username, finalPayload.data);
    } else if (status !== 5 && ppi.signalReceived === '') {
      // (5: the worker found nothing to do. After a signal, stopped workers are expected.)
      console.error(`problem with ${pid} (exit: ${status}); payload: ${JSON.stringify(finalPayload)}`);
    }
    // Whatever this worker had claimed and not delivered goes back to the queue.
    db!.prepare("UPDATE users SET status = 'new', worker_pid = NULL WHERE status = 'working' AND worker_pid = ?").run(pid);
    if (pendingUsers() === 0) ppi.stop('TERM');
  },

  callbacks: {
    getUsername: (ppi, pid): string => getNextUsernameFromDatabase(pid),
    logChildEvent: (ppi, pid, event: { name: string; note: string }): void => {
      db!.prepare('INSERT INTO events (pid, name, note) VALUES (?, ?, ?)').run(pid, event.name, event.note);
      console.error(`child ${pid} event: ${event.name} (${event.note})`);
    },
  },

  trapSignals: { TERM: 'TERM', HUP: 'TERM', INT: 'INT', USR1: null },
});

async function doWorkWith(username: string): Promise<UserData> {
  await new Promise((resolve) => setTimeout(resolve, config.workMs));
  return { sha256: createHash('sha256').update(username).digest('hex').slice(0, 16), letters: username.length, workedBy: process.pid };
}

async function main(): Promise<void> {
  while (!/^(TERM|INT)$/.test(ppi.signalReceived)) {
    // This part runs in the manager before each generation, and once more in every worker
    // (a worker is this script run again): reload the config, and connect only in the manager.
    config = loadConfig();
    if (!ppi.isChild) {
      db?.close();
      db = connectToDb();
      ppi.maxWorkers = config.maxWorkers;
      if (ppi.generation === 0 && pendingUsers() === 0) {
        db.prepare("UPDATE users SET status = 'new', data = NULL").run();
        console.error('every user was done already: starting a new round');
      }
      console.error(`generation ${ppi.generation + 1}: ${config.maxWorkers} workers, ${config.workMs} ms of work each`);
    }

    if (await ppi.start()) continue;

    // in a worker
    const username = await ppi.callback('getUsername');
    if (!username) {
      await ppi.finish(5); // nothing left to do
    }
    await ppi.callback('logChildEvent', { name: 'got username', note: username });
    const data = await doWorkWith(username);
    await ppi.callback('logChildEvent', { name: 'finished work', note: username });
    await ppi.finish(data ? 0 : 1, { username, data });
  }

  const left = await ppi.waitAllChildren(30_000);
  const rows = db!.prepare('SELECT name, status FROM users ORDER BY id').all() as Array<{ name: string; status: string }>;
  const done = rows.filter((r) => r.status === 'done').length;
  console.log(`${done} of ${rows.length} users done; ${left} workers still running; stopped by ${ppi.signalReceived}`);
  db!.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
