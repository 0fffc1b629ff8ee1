import { pgBossFailSql, pgBossFetchSql } from '../../../lib/queue/pg-boss';
import { completeManySql, fencedFailSql, heartbeatFetchSql, heartbeatSql, notifyChannel, putBackSql, remainingSql, resultsSql } from '../../../lib/queue/sql';

/** The statement with its whitespace collapsed, so the checks read like the SQL. */
const flat = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

/** The fence every statement on a run of a job carries: that job, that run (retry count), still active. */
const FENCE = 'j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = \'active\'';

test("completing many jobs touches only the run this host holds: a completion for a job that left 'active', or a later run of it, changes nothing", () => {
  const sql = flat(completeManySql('pgboss'));
  expect(sql).toMatch(/^UPDATE pgboss\.job j SET completed_on = now\(\), state = 'completed', output = v\.output /);
  expect(sql).toContain('FROM (SELECT unnest($2::uuid[]) AS id, unnest($3::jsonb[]) AS output, unnest($4::int[]) AS retry_count) v');
  expect(sql).toContain(`WHERE ${FENCE}`);
  expect(sql).toMatch(/RETURNING j\.id$/); // the caller learns which ones it completed
});

test('putting back undoes a fetch (created, or retry when it had run before), for the fetched run only', () => {
  const sql = flat(putBackSql('my_schema'));
  expect(sql).toContain("state = CASE WHEN j.retry_count > 0 THEN 'retry'::my_schema.job_state ELSE 'created'::my_schema.job_state END");
  expect(sql).toContain('retry_count = GREATEST(j.retry_count - 1, 0)');
  expect(sql).toContain('started_on = CASE WHEN j.retry_count > 0 THEN j.started_on ELSE NULL END');
  expect(sql).toContain(`WHERE ${FENCE}`);
  expect(sql).toMatch(/SELECT count\(\*\)::int AS returned FROM returned$/);
});

test('a heartbeat keeps only the runs still held (same fence), and never moves a lease earlier', () => {
  const sql = flat(heartbeatSql('pgboss'));
  expect(sql).toContain("SET started_on = LEAST(v.started_on, now() + $3::int * interval '1 second' - j.expire_in)");
  expect(sql).toContain(`WHERE ${FENCE}`);
});

test("pg-boss's own fail and fetch statements are rewritten only when they are the ones this code knows", () => {
  const where = "name = $1 AND id IN (SELECT UNNEST($2::uuid[])) AND state < 'completed'";
  expect(fencedFailSql(`UPDATE pgboss.job SET state = 'failed' WHERE ${where}`)).toBe(
    "UPDATE pgboss.job SET state = 'failed' WHERE name = $1 AND id IN (SELECT UNNEST($2::uuid[])) AND state = 'active' AND retry_count = $4::int",
  );
  expect(() => fencedFailSql('UPDATE pgboss.job SET state = \'failed\' WHERE id = $1')).toThrow(/pg-boss 10\.x expected/);
  const fetch = 'UPDATE pgboss.job j SET state = \'active\', started_on = now(), retry_count = 0 FROM next WHERE j.id = next.id RETURNING j.id';
  expect(heartbeatFetchSql(fetch)).toBe(
    "UPDATE pgboss.job j SET state = 'active', started_on = LEAST(now(), now() + $3::int * interval '1 second' - j.expire_in), retry_count = 0 FROM next WHERE j.id = next.id RETURNING now() AS \"fetchedOn\", j.id",
  );
  expect(() => heartbeatFetchSql('SELECT 1')).toThrow(/pg-boss 10\.x expected/);
});

test('the jobs not yet over, and the results from the job table and the archive, oldest first', () => {
  expect(flat(remainingSql('pgboss'))).toBe("SELECT count(*)::int AS remaining FROM pgboss.job WHERE name = $1 AND state < 'completed'");
  const sql = flat(resultsSql('pgboss', ['completed', 'failed']));
  const where = "name = $1 AND state::text = ANY(ARRAY['completed', 'failed'])";
  expect(sql).toContain(`FROM pgboss.job WHERE ${where} UNION ALL`);
  expect(sql).toContain(`FROM pgboss.archive WHERE ${where}`);
  expect(sql).toMatch(/ORDER BY created_on, completed_on, id$/);
});

test('every statement names the schema it is given, nowhere a default one; the NOTIFY channel is per schema', () => {
  for (const sql of [putBackSql('s1'), completeManySql('s1'), heartbeatSql('s1'), remainingSql('s1'), resultsSql('s1', ['completed'])]) {
    expect(sql).not.toMatch(/pgboss\./);
    expect(sql).toMatch(/\bs1\.job\b/);
  }
  expect(notifyChannel('My_Schema')).toBe('prefork_ipc_my_schema');
});

describe('queue/sql', () => {
  test("pg-boss's fail statement is narrowed to this host's run (active, with the fetch's retry count); another statement is refused", () => {
    const fenced = fencedFailSql(pgBossFailSql('pgboss'));
    expect(fenced).toContain("state = 'active' AND retry_count = $4::int");
    expect(fenced).not.toContain("state < 'completed'");
    expect(() => fencedFailSql('DELETE FROM pgboss.job')).toThrow(/not the one prefork-ipc was written for/);
  });

  test("pg-boss's fetch, with a heartbeat: the first expiry is set by the fetch and the fetch's time returned; another statement is refused", () => {
    const fetch = heartbeatFetchSql(pgBossFetchSql('pgboss'));
    expect(fetch).toContain("started_on = LEAST(now(), now() + $3::int * interval '1 second' - j.expire_in),");
    expect(fetch).toContain('RETURNING now() AS "fetchedOn", j.');
    expect(() => heartbeatFetchSql('SELECT 1')).toThrow(/not the one prefork-ipc was written for/);
  });

  test('the NOTIFY channel is per schema, a plain lower-case identifier', () => {
    expect(notifyChannel('pgboss')).toBe('prefork_ipc_pgboss');
    expect(notifyChannel('Boss_2')).toBe('prefork_ipc_boss_2');
  });
});
