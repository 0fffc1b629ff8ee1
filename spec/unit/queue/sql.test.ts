import { pgBossFailSql, pgBossFetchSql } from '../../../lib/queue/pg-boss';
import { completeManySql, fencedFailSql, heartbeatFetchSql, heartbeatSql, notifyChannel, putBackSql, remainingSql, resultsSql } from '../../../lib/queue/sql';

/** The statement with its whitespace collapsed, so the checks read like the SQL. */
const flat = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

test("completing many jobs touches only this host's runs still active: a completion for a job that left 'active', or was fetched again since, changes nothing", () => {
  const sql = flat(completeManySql('pgboss'));
  expect(sql).toMatch(/^UPDATE pgboss\.job j SET completed_on = now\(\), state = 'completed', output = v\.output /);
  expect(sql).toContain('FROM (SELECT unnest($2::uuid[]) AS id, unnest($3::jsonb[]) AS output, unnest($4::int[]) AS retry_count) v');
  expect(sql).toContain("WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = 'active'");
  expect(sql).toMatch(/RETURNING j\.id$/); // the caller learns which ones it completed
});

test("putting back undoes a fetch (created, or retry when it had run before), for this host's active runs only", () => {
  const sql = flat(putBackSql('my_schema'));
  expect(sql).toContain("state = CASE WHEN j.retry_count > 0 THEN 'retry'::my_schema.job_state ELSE 'created'::my_schema.job_state END");
  expect(sql).toContain('retry_count = GREATEST(j.retry_count - 1, 0)');
  expect(sql).toContain('started_on = CASE WHEN j.retry_count > 0 THEN j.started_on ELSE NULL END');
  expect(sql).toContain("WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = 'active'");
  expect(sql).toMatch(/SELECT count\(\*\)::int AS returned FROM returned$/);
});

test("the jobs not yet over include the caller's own (one of them may fail and wait for its retry)", () => {
  expect(flat(remainingSql('pgboss'))).toBe("SELECT count(*)::int AS remaining FROM pgboss.job WHERE name = $1 AND state < 'completed'");
});

test('results come from the job table and the archive, in the states asked for, oldest first', () => {
  const sql = flat(resultsSql('pgboss', ['completed', 'failed']));
  const where = "name = $1 AND state::text = ANY(ARRAY['completed', 'failed'])";
  expect(sql).toContain(`FROM pgboss.job WHERE ${where} UNION ALL`);
  expect(sql).toContain(`FROM pgboss.archive WHERE ${where}`);
  expect(sql).toMatch(/ORDER BY created_on, completed_on, id$/);
});

test('every statement names the schema it is given, nowhere a default one', () => {
  for (const sql of [putBackSql('s1'), completeManySql('s1'), remainingSql('s1'), resultsSql('s1', ['completed']), heartbeatSql('s1')]) {
    expect(sql).not.toMatch(/pgboss\./);
    expect(sql).toMatch(/\bs1\.job\b/);
  }
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
