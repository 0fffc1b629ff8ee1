import { ReadyWatch } from '../../../lib/manager/readiness';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a child not ready within the timeout is reported once; a ready or gone one is not', () => {
  const missed: number[] = [];
  const watch = new ReadyWatch(1000, (pid) => missed.push(pid));
  watch.spawned(1);
  watch.spawned(2);
  watch.spawned(3);
  jest.advanceTimersByTime(999);
  watch.settled(2); // ready
  watch.settled(3); // gone
  watch.settled(4); // never watched: nothing happens
  expect(watch.watched).toBe(1);
  jest.advanceTimersByTime(1);
  expect(missed).toEqual([1]);
  expect(watch.watched).toBe(0);
  jest.advanceTimersByTime(10_000);
  expect(missed).toEqual([1]);
});

test('no timeout (readyTimeout: Infinity) watches nothing', () => {
  const missed: number[] = [];
  const watch = new ReadyWatch(undefined, (pid) => missed.push(pid));
  watch.spawned(1);
  expect(watch.watched).toBe(0);
  jest.advanceTimersByTime(2 ** 31 - 1);
  expect(missed).toEqual([]);
});
