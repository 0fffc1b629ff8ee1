import { Waiters } from '../../../lib/manager/waiters';

/** A pool stand-in: `left` is what is still alive or pending; `begun` counts the waits that began. */
function make(left: number) {
  const pool = { left, begun: 0 };
  const waiters = new Waiters(
    () => pool.left,
    () => pool.begun++,
  );
  return { pool, waiters };
}

test('resolves 0 at once when nothing is left, after telling the manager a wait began', async () => {
  const { pool, waiters } = make(0);
  await expect(waiters.wait()).resolves.toBe(0);
  expect(pool.begun).toBe(1);
  expect(waiters.size).toBe(0);
});

test.each([[-1], [NaN], ['10']])('a timeout of %p is refused before anything happens', async (timeout) => {
  const { pool, waiters } = make(2);
  await expect(waiters.wait(timeout as number)).rejects.toThrow(new TypeError(`waitAllChildren(timeout): timeout must be a number of ms ≥ 0, got ${String(timeout)}`));
  expect(pool.begun).toBe(0); // a held reload is not flushed by a call that failed
});

test('every waiter resolves 0 at the check that finds nothing left, not before', async () => {
  const { pool, waiters } = make(2);
  const settled: number[] = [];
  const first = waiters.wait().then((n) => settled.push(n));
  const second = waiters.wait().then((n) => settled.push(n));
  expect(waiters.size).toBe(2);
  pool.left = 1;
  waiters.check();
  await Promise.resolve();
  expect(settled).toEqual([]);
  pool.left = 0;
  waiters.check();
  await Promise.all([first, second]);
  expect(settled).toEqual([0, 0]);
  expect(waiters.size).toBe(0);
});

test('a timeout resolves with what is left then, and that waiter is no longer checked', async () => {
  jest.useFakeTimers();
  try {
    const { pool, waiters } = make(3);
    const timed = waiters.wait(50);
    pool.left = 2;
    jest.advanceTimersByTime(50);
    await expect(timed).resolves.toBe(2);
    expect(waiters.size).toBe(0);
  } finally {
    jest.useRealTimers();
  }
});

test('a timeout past what a timer can wait is no timeout', async () => {
  jest.useFakeTimers();
  try {
    const { pool, waiters } = make(1);
    const pending = waiters.wait(2 ** 31);
    jest.advanceTimersByTime(2 ** 31); // a timer set for longer would have fired after 1 ms
    expect(waiters.size).toBe(1);
    pool.left = 0;
    waiters.check();
    await expect(pending).resolves.toBe(0);
  } finally {
    jest.useRealTimers();
  }
});

test('rejectOne rejects the oldest waiter only; false when none waits', async () => {
  const { waiters } = make(1);
  expect(waiters.rejectOne(new Error('nobody'))).toBe(false);
  const oldest = waiters.wait();
  const newest = waiters.wait();
  const error = new Error('a hook threw');
  expect(waiters.rejectOne(error)).toBe(true);
  await expect(oldest).rejects.toBe(error);
  expect(waiters.size).toBe(1);
  expect(waiters.rejectOne(new Error('second'))).toBe(true);
  await expect(newest).rejects.toThrow('second');
});
