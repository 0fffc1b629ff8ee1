/**
 * The few statements this package runs on pg-boss 10's own tables (schema
 * version 24), where pg-boss has no call for the job. `schema` has been
 * checked by pg-boss (letters, digits, underscores).
 */

/**
 * Undoes a fetch: state back to created (or retry), and the retry count and
 * start time as they were. pg-boss's fetch sets state = active, started_on =
 * now() and adds one to retry_count when started_on was already set; so a
 * retry_count above 0 after a fetch means it was one less before and
 * started_on was set (and a retry_count of 0 means started_on was null).
 * Only jobs still active *in the run this host fetched* are touched
 * ($2 ids, $3 their retry counts at the fetch): one whose lease expired
 * meanwhile is pg-boss's again, and may be running elsewhere.
 */
export function putBackSql(schema: string): string {
  return `
    WITH returned AS (
      UPDATE ${schema}.job j SET
        state = CASE WHEN j.retry_count > 0 THEN 'retry'::${schema}.job_state ELSE 'created'::${schema}.job_state END,
        retry_count = GREATEST(j.retry_count - 1, 0),
        started_on = CASE WHEN j.retry_count > 0 THEN j.started_on ELSE NULL END
      FROM (SELECT unnest($2::uuid[]) AS id, unnest($3::int[]) AS retry_count) v
      WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = 'active'
      RETURNING 1
    )
    SELECT count(*)::int AS returned FROM returned`;
}

/**
 * pg-boss 10's complete(), for many jobs with an output each in one
 * statement (its own call takes one output for all the ids it is given):
 * the same update, for the runs this host fetched only. A job's retry_count
 * is the fencing token: every fetch of a job that ran before adds one, so a
 * job whose lease expired and that was fetched again (here or elsewhere) no
 * longer matches, and a late completion of the earlier run changes nothing.
 * $2 ids, $3 outputs, $4 retry counts at the fetch. Returns the ids it completed.
 */
export function completeManySql(schema: string): string {
  return `
    UPDATE ${schema}.job j SET completed_on = now(), state = 'completed', output = v.output
    FROM (SELECT unnest($2::uuid[]) AS id, unnest($3::jsonb[]) AS output, unnest($4::int[]) AS retry_count) v
    WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = 'active'
    RETURNING j.id`;
}

/** The condition of pg-boss 10's fail-by-id statement, which `fencedFailSql` narrows. */
const PG_BOSS_FAIL_WHERE = "name = $1 AND id IN (SELECT UNNEST($2::uuid[])) AND state < 'completed'";

/**
 * pg-boss 10's own fail statement (its retry, backoff and dead-letter rules,
 * taken from its plans.js so they stay its own), narrowed like
 * completeManySql to the run this host fetched: active, with the retry count
 * it had at the fetch ($4). pg-boss's fail() would fail a job that another
 * host is running now. $2 ids, $3 the output. Throws if pg-boss's statement
 * is not the one this was written for.
 */
export function fencedFailSql(pgBossFailSql: string): string {
  if (!pgBossFailSql.includes(PG_BOSS_FAIL_WHERE)) {
    throw new Error("this pg-boss's fail statement is not the one prefork-ipc was written for (pg-boss 10.x expected)");
  }
  return pgBossFailSql.replace(PG_BOSS_FAIL_WHERE, "name = $1 AND id IN (SELECT UNNEST($2::uuid[])) AND state = 'active' AND retry_count = $4::int");
}

/**
 * pg-boss 10's own fetch, for a manager with a heartbeat: the fetched jobs
 * expire $3 seconds from now (never later than their lease), in the fetch's
 * own statement, so that a host that dies a moment after fetching does not
 * keep them for the whole lease, and without one more statement per fetch
 * (a beat right after each fetch cost about 10 % of the jobs/s). Returns the
 * fetch's time as "fetchedOn" (the beats' cap: the lease counts from it).
 * Throws if pg-boss's statement is not the one this was written for.
 */
export function heartbeatFetchSql(pgBossFetchSql: string): string {
  if (pgBossFetchSql.split('started_on = now(),').length !== 2 || pgBossFetchSql.split('RETURNING j.').length !== 2) {
    throw new Error("this pg-boss's fetch statement is not the one prefork-ipc was written for (pg-boss 10.x expected)");
  }
  return pgBossFetchSql
    .replace('started_on = now(),', "started_on = LEAST(now(), now() + $3::int * interval '1 second' - j.expire_in),")
    .replace('RETURNING j.', 'RETURNING now() AS "fetchedOn", j.');
}

/**
 * One heartbeat for every job this host runs: each job's expiry (pg-boss
 * expires an active job once started_on + expire_in is past) moves to
 * $3 seconds from now, never later than its own lease from its fetch
 * ($5, the fetch's started_on). started_on is moved rather than expire_in so
 * that the lease a job carries to its next run, on any host, stays the one
 * it was given. $2 ids, $4 retry counts at the fetch (a job fetched again
 * elsewhere is not kept alive by this host). Returns how many it kept.
 */
export function heartbeatSql(schema: string): string {
  return `
    WITH kept AS (
      UPDATE ${schema}.job j SET started_on = LEAST(v.started_on, now() + $3::int * interval '1 second' - j.expire_in)
      FROM (SELECT unnest($2::uuid[]) AS id, unnest($4::int[]) AS retry_count, unnest($5::timestamptz[]) AS started_on) v
      WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = 'active'
      RETURNING 1
    )
    SELECT count(*)::int AS kept FROM kept`;
}

/**
 * Jobs of the queue that are not yet over: waiting, retrying later, or
 * running anywhere, this host's own included (one of them that fails here
 * goes back to the queue for its retry, and this host may be the only one
 * left to run it).
 */
export function remainingSql(schema: string): string {
  return `
    SELECT count(*)::int AS remaining FROM ${schema}.job
    WHERE name = $1 AND state < 'completed'`;
}

/** Every finished job of the queue, from the job table and the archive, oldest first. */
export function resultsSql(schema: string, states: string[]): string {
  const columns = 'id, data, state::text AS state, output, retry_count, created_on, completed_on';
  const where = `name = $1 AND state::text = ANY(ARRAY[${states.map((s) => `'${s}'`).join(', ')}])`;
  return `
    SELECT * FROM (
      SELECT ${columns} FROM ${schema}.job WHERE ${where}
      UNION ALL
      SELECT ${columns} FROM ${schema}.archive WHERE ${where}
    ) finished
    ORDER BY created_on, completed_on, id`;
}

/**
 * The channel `enqueue` notifies and a `--follow` manager listens on: one
 * per schema (checked by pg-boss: letters, digits, underscores), the queue's
 * name as the payload. pg-boss 10 sends no notifications of its own.
 */
export function notifyChannel(schema: string): string {
  return `prefork_ipc_${schema}`.toLowerCase();
}
