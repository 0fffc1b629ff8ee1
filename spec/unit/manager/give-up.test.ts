import { GiveUp } from '../../../lib/manager/give-up';

test('more than maxRestarts crashes within the window: an error naming the last child and its error', () => {
  const giveUp = new GiveUp(2, 10_000);
  const crash = { pid: 7, reason: 'crashed', status: 1, error: { name: 'Error', message: 'no DATABASE_URL' } };
  expect(giveUp.crashed(0, crash)).toBeUndefined();
  expect(giveUp.crashed(5000, crash)).toBeUndefined();
  // The first has left the window.
  expect(giveUp.crashed(10_000, crash)).toBeUndefined();
  const error = giveUp.crashed(12_000, { pid: 9, reason: 'not-ready' });
  expect(error?.message).toBe(
    'PreforkIPC gave up: 3 children failed within 10000 ms (maxRestarts 2, restartWindow 10000 ms); the last, pid 9, was not ready within readyTimeout',
  );
  expect(new GiveUp(0, 1000).crashed(0, crash)?.message).toMatch(/the last, pid 7, crashed: Error: no DATABASE_URL$/);
  expect(new GiveUp(0, 1000).crashed(0, { pid: 1, reason: 'killed', status: 137 })?.message).toMatch(/ended \(killed, status 137\)$/);
});

test('no maxRestarts: never gives up', () => {
  const giveUp = new GiveUp(undefined, 1000);
  for (let i = 0; i < 100; i++) expect(giveUp.crashed(i, { pid: i, reason: 'crashed' })).toBeUndefined();
});
