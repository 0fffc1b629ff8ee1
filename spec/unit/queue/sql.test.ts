import { pgBossFailSql, pgBossFetchSql } from '../../../lib/queue/pg-boss';
import { fencedFailSql, heartbeatFetchSql, notifyChannel } from '../../../lib/queue/sql';

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
