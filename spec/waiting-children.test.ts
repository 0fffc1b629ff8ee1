/**
 * A child whose only business left is the manager: a 'message' listener waiting
 * for send(), or a listener on its lifetime's abortSignal. The channel holds the
 * child's event loop open for them (the fixture's children have no timer or
 * socket of their own), and lets go once nothing waits.
 */
import { expect } from '@jest/globals';
import { run } from './support/run';

jest.setTimeout(60_000);

const scenario = (name: string, reuse: boolean) =>
  run(['waiting.js'], { env: { ...process.env, SCENARIO: name, REUSE: reuse ? '1' : '0' } });

describe.each([
  ['one lifetime per process', false],
  ['reused processes', true],
])('%s', (_label, reuse) => {
  test('a child that only waits for the manager\'s send() stays alive until the message comes, then finishes with it', async () => {
    const end = await scenario('message', reuse);
    expect(end.code).toBe(0);
    const reaps = end.events.filter((e) => e.event === 'reap');
    expect(reaps).toHaveLength(2);
    for (const reap of reaps) {
      expect(reap).toMatchObject({ status: 0, reason: 'finished', payload: { got: { hello: expect.any(Number) } } });
    }
    expect(end.stderr).not.toMatch(/without (calling )?finish/);
  });

  test('a child that only waits for its lifetime\'s abort (lifetimeTimeout) stays alive until aborted, then finishes', async () => {
    const end = await scenario('timeout', reuse);
    expect(end.code).toBe(0);
    const reaps = end.events.filter((e) => e.event === 'reap');
    expect(reaps).toHaveLength(2);
    for (const reap of reaps) expect(reap).toMatchObject({ status: 0, payload: { aborted: 'TimeoutError' } });
  });

  test('a child that only waits for its lifetime\'s abort (cancel()) stays alive until cancelled, then finishes', async () => {
    const end = await scenario('cancel', reuse);
    expect(end.code).toBe(0);
    const reaps = end.events.filter((e) => e.event === 'reap');
    expect(reaps).toHaveLength(2);
    for (const reap of reaps) expect(reap).toMatchObject({ status: 0, payload: { aborted: 'AbortError' } });
  });

  test('a message listener removed with off() holds nothing: the child exits on its own', async () => {
    const end = await scenario('unlistened', reuse);
    expect(end.code).toBe(0);
    const reaps = end.events.filter((e) => e.event === 'reap');
    expect(reaps).toHaveLength(2);
    // It ended by itself without finish(), long before anything would have killed it.
    for (const reap of reaps) expect(reap).toMatchObject({ status: 0, payload: '<none>', reason: 'exited' });
  });
});
