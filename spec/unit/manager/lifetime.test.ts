import { Lifetime } from '../../../lib/manager/lifetime';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('later() runs its function after the delay while the lifetime is open', () => {
  const lifetime = new Lifetime(3);
  const fired = jest.fn();
  lifetime.later(500, fired);
  jest.advanceTimersByTime(499);
  expect(fired).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  expect(fired).toHaveBeenCalledTimes(1);
  expect(lifetime.number).toBe(3);
});

test('close() leaves no timer behind: neither the lifetimeTimeout nor the gracePeriod kill fires after it', () => {
  const lifetime = new Lifetime(1);
  const timeout = jest.fn();
  const kill = jest.fn();
  lifetime.later(500, timeout); // lifetimeTimeout
  lifetime.later(30_000, kill); // the gracePeriod SIGKILL armed by an abort
  expect(jest.getTimerCount()).toBe(2);
  lifetime.close();
  expect(jest.getTimerCount()).toBe(0); // nothing keeps the manager's event loop alive
  jest.advanceTimersByTime(60_000);
  expect(timeout).not.toHaveBeenCalled();
  expect(kill).not.toHaveBeenCalled();
});

test("closing one lifetime leaves the next one's timers alone; close() twice is harmless", () => {
  const first = new Lifetime(1);
  const second = new Lifetime(2);
  const firstTimeout = jest.fn();
  const secondTimeout = jest.fn();
  first.later(500, firstTimeout);
  second.later(500, secondTimeout);
  first.close();
  first.close();
  jest.advanceTimersByTime(500);
  expect(firstTimeout).not.toHaveBeenCalled();
  expect(secondTimeout).toHaveBeenCalledTimes(1);
});

test('a fresh lifetime: not finished, code 0, no payload, started now', () => {
  jest.setSystemTime(1_000_000);
  const lifetime = new Lifetime(1);
  expect(lifetime).toMatchObject({ finished: false, code: 0, hasPayload: false, timedOut: false, killArmed: false, startedAt: 1_000_000 });
  expect(lifetime.payload).toBeUndefined();
});
