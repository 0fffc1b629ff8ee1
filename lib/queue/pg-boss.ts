/**
 * pg-boss, loaded only when a queue is asked for: it is an optional peer
 * dependency, so a user who never scales out installs nothing more. The
 * interfaces below are the few calls this package makes, typed here so that
 * no declaration of ours refers to pg-boss's own types (absent when it is not
 * installed).
 */
import path from 'node:path';

/** The pg-boss major version this code was written and tested against. */
export const PG_BOSS_MAJOR = 10;
export const PG_BOSS_INSTALL = `npm install pg-boss@${PG_BOSS_MAJOR}`;

/** A job as pg-boss's fetch returns it with `includeMetadata: true` (only the fields used here). */
export interface BossJob {
  id: string;
  name: string;
  data: unknown;
  /** Seconds; numeric in SQL, so it may arrive as a string. */
  expireInSeconds: number | string;
  retryCount: number;
  /** When this fetch started it (moved back by a heartbeat fetch: see fetchedOn). */
  startedOn: Date;
  /** The fetch's time, from the heartbeat's fetch statement only. */
  fetchedOn?: Date;
  retryLimit: number;
}

export interface BossSql {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> } | undefined>;
}

/** Per-job or per-queue policy, as pg-boss names it. */
export interface BossPolicy {
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
}

export interface BossApi {
  on(event: 'error', listener: (error: Error) => void): unknown;
  start(): Promise<unknown>;
  stop(options?: { graceful?: boolean; wait?: boolean; close?: boolean; timeout?: number }): Promise<void>;
  createQueue(name: string, options?: BossPolicy): Promise<void>;
  getQueue(name: string): Promise<Record<string, unknown> | null>;
  fetch(name: string, options: { batchSize: number; includeMetadata: true }): Promise<BossJob[]>;
  complete(name: string, id: string | string[], data?: object | null): Promise<unknown>;
  fail(name: string, id: string | string[], data?: object | null): Promise<unknown>;
  insert(jobs: Array<BossPolicy & { name: string; data: unknown }>): Promise<unknown>;
  getDb(): BossSql;
}

/** The constructor options used here (pg-boss accepts more). */
export interface BossOptions {
  connectionString: string;
  schema?: string;
  /** pg pool size. */
  max?: number;
  maintenanceIntervalSeconds?: number;
  supervise?: boolean;
  schedule?: boolean;
  migrate?: boolean;
  application_name?: string;
  /** pg's pool: how long connecting (up to the server's first answer) may take, ms. */
  connectionTimeoutMillis?: number;
}

export type BossConstructor = new (options: BossOptions) => BossApi;

/** The places pg-boss is looked for: next to this package, then the user's project. */
function searchPaths(): string[] {
  return [__dirname, process.cwd()];
}

/**
 * Loads pg-boss, or throws an Error that says which package and version to install.
 */
export function loadPgBoss(): BossConstructor {
  const main = resolvePgBoss();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the pg-boss found and version-checked above, from a resolved path, only when --pg-boss is used
  const loaded = require(main) as BossConstructor | { default: BossConstructor };
  return typeof loaded === 'function' ? loaded : loaded.default;
}

interface Plans {
  failJobsById?: (schema: string) => string;
  fetchNextJob?: (schema: string) => (options: { includeMetadata: boolean }) => string;
}

/** pg-boss's statements (its src/plans.js: not a public API, hence the checks in sql.ts). */
function plans(): Plans {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg-boss's own statements, from the version-checked package
  return require(path.join(path.dirname(resolvePgBoss()), 'plans.js')) as Plans;
}

/** pg-boss 10's fail-by-id statement for `schema`. */
export function pgBossFailSql(schema: string): string {
  const { failJobsById } = plans();
  if (typeof failJobsById !== 'function') throw new Error('this pg-boss has no failJobsById statement (pg-boss 10.x expected)');
  return failJobsById(schema);
}

/** pg-boss 10's fetch statement for `schema`, with every column ($1 the queue, $2 the batch size). */
export function pgBossFetchSql(schema: string): string {
  const { fetchNextJob } = plans();
  if (typeof fetchNextJob !== 'function') throw new Error('this pg-boss has no fetchNextJob statement (pg-boss 10.x expected)');
  return fetchNextJob(schema)({ includeMetadata: true });
}

/** The path of pg-boss's main file, version-checked; throws an Error that says what to install. */
function resolvePgBoss(): string {
  let main: string;
  try {
    main = require.resolve('pg-boss', { paths: searchPaths() });
  } catch {
    throw new Error(`--pg-boss needs the package pg-boss ${PG_BOSS_MAJOR}.x, which is not installed: ${PG_BOSS_INSTALL}`);
  }
  const manifest = findManifest(main);
  const version = manifest?.version ?? 'unknown';
  if (Number(version.split('.')[0]) !== PG_BOSS_MAJOR) {
    throw new Error(`--pg-boss needs pg-boss ${PG_BOSS_MAJOR}.x, found ${version} at ${path.dirname(main)}: ${PG_BOSS_INSTALL}`);
  }
  return main;
}

function findManifest(main: string): { version?: string } | undefined {
  // pg-boss 10 has no "exports" map; walk up from its main file to its package.json.
  let dir = path.dirname(main);
  for (let i = 0; i < 4; i++) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- reads a package.json found at run time, by path
      const manifest = require(path.join(dir, 'package.json')) as { name?: string; version?: string };
      if (manifest.name === 'pg-boss') return manifest;
    } catch {
      /* not here */
    }
    dir = path.dirname(dir);
  }
  return undefined;
}
