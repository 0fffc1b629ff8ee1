/** waitAllChildren() and onChildReap promises: what its number means at a timeout. */
import { expect } from '@jest/globals';
import { run } from './support/run';

jest.setTimeout(60_000);

test('waitAllChildren(timeout) counts an onChildReap promise still pending: it does not resolve 0 before the hook settled', async () => {
  const end = await run(['reap-hook-wait.js']);
  expect(end.code).toBe(0);
  expect(end.events.find((e) => e.event === 'reap')).toMatchObject({ status: 0 });
  // The child is gone (no child running), but its reap hook still works: 1 thing not done.
  expect(end.events.find((e) => e.event === 'early')).toEqual({ event: 'early', left: 1, hookSettled: false, children: 0 });
  // Without a timeout it waits for the hook, then resolves 0.
  expect(end.events.find((e) => e.event === 'late')).toEqual({ event: 'late', left: 0, hookSettled: true });
});
