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
 * Only jobs still active are touched: one whose lease expired meanwhile is
 * pg-boss's again.
 */
export function putBackSql(schema: string): string {
  return `
    WITH returned AS (
      UPDATE ${schema}.job SET
        state = CASE WHEN retry_count > 0 THEN 'retry'::${schema}.job_state ELSE 'created'::${schema}.job_state END,
        retry_count = GREATEST(retry_count - 1, 0),
        started_on = CASE WHEN retry_count > 0 THEN started_on ELSE NULL END
      WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active'
      RETURNING 1
    )
    SELECT count(*)::int AS returned FROM returned`;
}

/**
 * pg-boss 10's complete(), for many jobs with an output each in one
 * statement (its own call takes one output for all the ids it is given):
 * the same update, active jobs only. Returns the ids it completed.
 */
export function completeManySql(schema: string): string {
  return `
    UPDATE ${schema}.job j SET completed_on = now(), state = 'completed', output = v.output
    FROM (SELECT unnest($2::uuid[]) AS id, unnest($3::jsonb[]) AS output) v
    WHERE j.name = $1 AND j.id = v.id AND j.state = 'active'
    RETURNING j.id`;
}

/** Jobs of the queue that are not yet over (waiting, retrying later, or running anywhere), leaving out the ones in $2. */
export function remainingSql(schema: string): string {
  return `
    SELECT count(*)::int AS remaining FROM ${schema}.job
    WHERE name = $1 AND state < 'completed' AND NOT (id = ANY($2::uuid[]))`;
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
