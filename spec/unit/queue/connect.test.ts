import { connectTimeoutMs, describeDatabaseError, withDeadline, DEFAULT_CONNECT_TIMEOUT_MS } from '../../../lib/queue/connect';

const URL = 'postgres://u:hunter2@db.internal:6000/app';

describe('queue/connect', () => {
  test('PGCONNECT_TIMEOUT (seconds) sets the bound; nonsense is refused', () => {
    expect(connectTimeoutMs({})).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
    expect(connectTimeoutMs({ PGCONNECT_TIMEOUT: '2.5' })).toBe(2500);
    expect(() => connectTimeoutMs({ PGCONNECT_TIMEOUT: 'soon' })).toThrow(/PGCONNECT_TIMEOUT must be a number of seconds/);
  });

  test('errors name the server and what the reason usually means, never the password', () => {
    expect(describeDatabaseError(new Error('Connection terminated unexpectedly'), URL)).toMatch(/^Postgres at db\.internal:6000: Connection terminated unexpectedly \(.*Postgres protocol/);
    expect(describeDatabaseError(new Error('connect ECONNREFUSED 10.0.0.1:6000'), URL)).toMatch(/nothing listens there/);
    expect(describeDatabaseError(new Error('getaddrinfo ENOTFOUND db.internal'), URL)).toMatch(/does not resolve/);
    expect(describeDatabaseError(new Error(`bad ${URL}`), URL)).not.toContain('hunter2');
  });

  test('withDeadline: a step that never settles fails at the deadline and is abandoned', async () => {
    let abandoned = 0;
    const never = new Promise<never>(() => {});
    await expect(withDeadline(URL, 50, () => never, () => abandoned++)).rejects.toThrow('Postgres at db.internal:6000: no answer within 0.1 s (is that host and port right, and the server up?');
    expect(abandoned).toBe(1);
    await expect(withDeadline(URL, 1000, () => Promise.resolve(7), () => abandoned++)).resolves.toBe(7);
    expect(abandoned).toBe(1);
  });
});
