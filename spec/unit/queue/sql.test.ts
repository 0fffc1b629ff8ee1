import { completeManySql, putBackSql, remainingSql, resultsSql } from '../../../lib/queue/sql';

/** The statement with its whitespace collapsed, so the checks read like the SQL. */
const flat = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

test("completing many jobs touches only jobs still active: a completion for a job that left 'active' changes nothing", () => {
  const sql = flat(completeManySql('pgboss'));
  expect(sql).toMatch(/^UPDATE pgboss\.job j SET completed_on = now\(\), state = 'completed', output = v\.output /);
  expect(sql).toContain('FROM (SELECT unnest($2::uuid[]) AS id, unnest($3::jsonb[]) AS output) v');
  expect(sql).toContain("WHERE j.name = $1 AND j.id = v.id AND j.state = 'active'");
  expect(sql).toMatch(/RETURNING j\.id$/); // the caller learns which ones it completed
});

test('putting back undoes a fetch (created, or retry when it had run before), for active jobs only', () => {
  const sql = flat(putBackSql('my_schema'));
  expect(sql).toContain("state = CASE WHEN retry_count > 0 THEN 'retry'::my_schema.job_state ELSE 'created'::my_schema.job_state END");
  expect(sql).toContain('retry_count = GREATEST(retry_count - 1, 0)');
  expect(sql).toContain('started_on = CASE WHEN retry_count > 0 THEN started_on ELSE NULL END');
  expect(sql).toContain("WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active'");
  expect(sql).toMatch(/SELECT count\(\*\)::int AS returned FROM returned$/);
});

test("the jobs not yet over leave out the ones given in $2 (the caller's own)", () => {
  expect(flat(remainingSql('pgboss'))).toBe(
    "SELECT count(*)::int AS remaining FROM pgboss.job WHERE name = $1 AND state < 'completed' AND NOT (id = ANY($2::uuid[]))",
  );
});

test('results come from the job table and the archive, in the states asked for, oldest first', () => {
  const sql = flat(resultsSql('pgboss', ['completed', 'failed']));
  const where = "name = $1 AND state::text = ANY(ARRAY['completed', 'failed'])";
  expect(sql).toContain(`FROM pgboss.job WHERE ${where} UNION ALL`);
  expect(sql).toContain(`FROM pgboss.archive WHERE ${where}`);
  expect(sql).toMatch(/ORDER BY created_on, completed_on, id$/);
});

test('every statement names the schema it is given, nowhere a default one', () => {
  for (const sql of [putBackSql('s1'), completeManySql('s1'), remainingSql('s1'), resultsSql('s1', ['completed'])]) {
    expect(sql).not.toMatch(/pgboss\./);
    expect(sql).toMatch(/\bs1\.job\b/);
  }
});
