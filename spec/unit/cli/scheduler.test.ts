import type { Assignment, NextRequest, ResultRecord } from '../../../lib/cli/callbacks';
import { Scheduler } from '../../../lib/cli/scheduler';

afterEach(() => {
  jest.useRealTimers();
});

function make(retries = 0, timeoutMs?: number) {
  const results: ResultRecord[] = [];
  const demand: number[] = [];
  const kills: number[] = [];
  let allDone = 0;
  const scheduler = new Scheduler(retries, timeoutMs, {
    result: (record) => results.push(record),
    demand: (workers) => demand.push(workers),
    kill: (pid) => kills.push(pid),
    allDone: () => allDone++,
  });
  return { scheduler, results, demand, kills, allDone: () => allDone };
}

const more: NextRequest = { more: true };
const ok = (a: Assignment, result: unknown = `r${a.index}`): NextRequest => ({
  done: { index: a.index, attempt: a.attempt, outcome: { ok: true, result } },
  more: true,
});
const failed = (a: Assignment, error = 'bad', wantMore = true): NextRequest => ({
  done: { index: a.index, attempt: a.attempt, outcome: { ok: false, error } },
  more: wantMore,
});

/** What a pending next() resolved with, without waiting on one that has not. */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

test('jobs go out in input order to workers in the order they asked', async () => {
  const { scheduler } = make();
  const w1 = scheduler.next(101, more);
  const w2 = scheduler.next(102, more);
  scheduler.add(0, 1, 'a');
  scheduler.add(1, 3, 'b');
  scheduler.add(2, 4, 'c');
  expect(await w1).toEqual({ index: 0, line: 1, attempt: 1, job: 'a' });
  expect(await w2).toEqual({ index: 1, line: 3, attempt: 1, job: 'b' });
  expect(scheduler.queued).toBe(1);
  expect(scheduler.runningCount).toBe(2);
  // A worker asking while a job is queued gets it at once.
  expect(await scheduler.next(103, more)).toEqual({ index: 2, line: 4, attempt: 1, job: 'c' });
});

test('a worker waits for a job that comes later', async () => {
  const { scheduler } = make();
  const waiting = scheduler.next(101, more);
  expect(await peek(waiting)).toBe('pending');
  scheduler.add(0, 1, { x: 1 });
  expect(await waiting).toMatchObject({ index: 0, job: { x: 1 } });
});

test('next() records the result of the job the worker ran and hands it the next', async () => {
  const { scheduler, results } = make();
  scheduler.add(0, 1, 'a');
  scheduler.add(1, 2, 'b');
  const first = (await scheduler.next(101, more))!;
  const second = (await scheduler.next(101, ok(first, 'A')))!;
  expect(results).toEqual([{ job: 0, ok: true, result: 'A' }]);
  expect(second.index).toBe(1);
  expect(await scheduler.next(101, { ...ok(second, 'B'), more: false })).toBeNull();
  expect(results).toEqual([
    { job: 0, ok: true, result: 'A' },
    { job: 1, ok: true, result: 'B' },
  ]);
  expect(scheduler.runningCount).toBe(0);
});

test('a report for a job the worker is not running (stale attempt, other job) is ignored', async () => {
  const { scheduler, results } = make(1);
  scheduler.add(0, 1, 'a');
  const a = (await scheduler.next(101, more))!;
  void scheduler.next(102, { done: { index: a.index, attempt: a.attempt, outcome: { ok: true, result: 'x' } }, more: false });
  void scheduler.next(101, { done: { index: a.index, attempt: a.attempt + 1, outcome: { ok: true, result: 'y' } }, more: false });
  expect(results).toEqual([]);
  expect(scheduler.runningCount).toBe(1);
});

test('a failure with no retries left is a result naming the error', async () => {
  const { scheduler, results } = make(0);
  scheduler.add(0, 1, 'a');
  const a = (await scheduler.next(101, more))!;
  void scheduler.next(101, failed(a, 'boom'));
  expect(results).toEqual([{ job: 0, ok: false, error: 'boom' }]);
});

test('a failed job is retried first, up to `retries` more times, then reported with the attempts', async () => {
  const { scheduler, results } = make(2);
  scheduler.add(0, 1, 'a');
  scheduler.add(1, 2, 'b');
  let job = (await scheduler.next(101, more))!;
  expect(job).toMatchObject({ index: 0, attempt: 1 });
  job = (await scheduler.next(101, failed(job, 'e1')))!;
  expect(job).toMatchObject({ index: 0, attempt: 2 }); // before job 1
  job = (await scheduler.next(101, failed(job, 'e2')))!;
  expect(job).toMatchObject({ index: 0, attempt: 3, line: 1, job: 'a' });
  expect(results).toEqual([]);
  job = (await scheduler.next(101, failed(job, 'e3')))!;
  expect(results).toEqual([{ job: 0, ok: false, error: 'e3 (after 3 attempts)' }]);
  expect(job).toMatchObject({ index: 1, attempt: 1 });
});

test('a retried job that then succeeds is reported once, as a success', async () => {
  const { scheduler, results } = make(1);
  scheduler.add(0, 1, 'a');
  let job = (await scheduler.next(101, more))!;
  job = (await scheduler.next(101, failed(job)))!;
  void scheduler.next(101, ok(job, 'fine'));
  expect(results).toEqual([{ job: 0, ok: true, result: 'fine' }]);
});

test('a worker that dies with a job fails it (with its status), and the job is retried', async () => {
  const { scheduler, results } = make(1);
  scheduler.add(0, 1, 'a');
  await scheduler.next(101, more);
  scheduler.workerGone(101, 137);
  expect(scheduler.queued).toBe(1);
  const retry = (await scheduler.next(102, more))!;
  expect(retry).toMatchObject({ index: 0, attempt: 2 });
  scheduler.workerGone(102, 1, 'the handler could not be loaded');
  expect(results).toEqual([{ job: 0, ok: false, error: 'the handler could not be loaded (after 2 attempts)' }]);
});

test('the default reason for a dead worker names its pid and status', async () => {
  const { scheduler, results } = make();
  scheduler.add(0, 1, 'a');
  await scheduler.next(101, more);
  scheduler.workerGone(101, 3);
  expect(results).toEqual([{ job: 0, ok: false, error: 'the worker process (pid 101) exited with status 3 while running the job' }]);
});

test('a waiting worker that dies is no longer handed jobs', async () => {
  const { scheduler } = make();
  const waiting = scheduler.next(101, more);
  scheduler.workerGone(101, 0);
  expect(await waiting).toBeNull();
  scheduler.add(0, 1, 'a');
  expect(scheduler.runningCount).toBe(0);
  expect(scheduler.queued).toBe(1);
});

describe('timeouts', () => {
  test('a job past the timeout fails, its worker is killed, and a late report is ignored', async () => {
    jest.useFakeTimers();
    const { scheduler, results, kills } = make(0, 1000);
    scheduler.add(0, 1, 'a');
    const job = (await scheduler.next(101, more))!;
    jest.advanceTimersByTime(999);
    expect(kills).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(kills).toEqual([101]);
    expect(results).toEqual([{ job: 0, ok: false, error: 'timed out after 1000 ms; the worker was killed' }]);
    expect(scheduler.runningCount).toBe(0);
    // The killed worker's reap and any late report change nothing.
    void scheduler.next(101, ok(job));
    scheduler.workerGone(101, 137);
    expect(results).toHaveLength(1);
  });

  test('a timed-out job is retried with its own timer', async () => {
    jest.useFakeTimers();
    const { scheduler, results, kills } = make(1, 100);
    scheduler.add(0, 1, 'a');
    await scheduler.next(101, more);
    jest.advanceTimersByTime(100);
    expect(results).toEqual([]);
    const retry = (await scheduler.next(102, more))!;
    expect(retry.attempt).toBe(2);
    jest.advanceTimersByTime(100);
    expect(kills).toEqual([101, 102]);
    expect(results).toEqual([{ job: 0, ok: false, error: 'timed out after 100 ms; the worker was killed (after 2 attempts)' }]);
  });

  test('a job that reports in time clears its timer', async () => {
    jest.useFakeTimers();
    const { scheduler, kills } = make(0, 100);
    scheduler.add(0, 1, 'a');
    const job = (await scheduler.next(101, more))!;
    expect(jest.getTimerCount()).toBe(1);
    void scheduler.next(101, { ...ok(job), more: false });
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(kills).toEqual([]);
  });

  test('no timeout: no timer', async () => {
    jest.useFakeTimers();
    const { scheduler } = make(0, undefined);
    scheduler.add(0, 1, 'a');
    await scheduler.next(101, more);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('demand', () => {
  test('is queued + running after each change', async () => {
    const { scheduler, demand } = make();
    scheduler.add(0, 1, 'a');
    scheduler.add(1, 2, 'b');
    expect(demand).toEqual([1, 2]);
    const a = (await scheduler.next(101, more))!;
    expect(demand.at(-1)).toBe(2); // one queued, one running
    void scheduler.next(101, { ...ok(a), more: false });
    expect(demand.at(-1)).toBe(1);
  });
});

describe('stop', () => {
  test('wakes waiting workers with null and hands out nothing more; running jobs still report', async () => {
    const { scheduler, results } = make(3);
    scheduler.add(0, 1, 'a');
    const running = (await scheduler.next(101, more))!;
    const waiting = scheduler.next(102, more);
    scheduler.stop();
    expect(await waiting).toBeNull();
    scheduler.add(1, 2, 'b');
    expect(await scheduler.next(103, more)).toBeNull();
    // A failure after stop() is not retried.
    expect(await scheduler.next(101, failed(running, 'late'))).toBeNull();
    expect(results).toEqual([{ job: 0, ok: false, error: 'late' }]);
  });

  test('demand drops to 0', () => {
    const { scheduler, demand } = make();
    scheduler.add(0, 1, 'a');
    scheduler.stop();
    void scheduler.next(101, more);
    expect(demand.at(-1)).toBe(0);
  });

  test('allDone once the running jobs have reported, though jobs were still queued', async () => {
    const { scheduler, allDone } = make();
    scheduler.add(0, 1, 'a');
    scheduler.add(1, 2, 'b');
    const a = (await scheduler.next(101, more))!;
    scheduler.stop();
    expect(allDone()).toBe(0);
    void scheduler.next(101, ok(a));
    expect(allDone()).toBe(1);
  });

  test('allDone at once when nothing is running', () => {
    const { scheduler, allDone } = make();
    scheduler.add(0, 1, 'a'); // queued, no worker yet
    scheduler.stop();
    expect(allDone()).toBe(1);
  });
});

describe('abandonRunning', () => {
  test('every running job fails with the reason, without retry, and allDone follows', async () => {
    const { scheduler, results, allDone, kills } = make(5, 1000);
    jest.useFakeTimers();
    scheduler.add(0, 1, 'a');
    scheduler.add(1, 2, 'b');
    await scheduler.next(101, more);
    await scheduler.next(102, more);
    scheduler.stop();
    scheduler.abandonRunning('interrupted');
    expect(results).toEqual([
      { job: 0, ok: false, error: 'interrupted' },
      { job: 1, ok: false, error: 'interrupted' },
    ]);
    expect(scheduler.runningCount).toBe(0);
    expect(allDone()).toBe(1);
    expect(jest.getTimerCount()).toBe(0); // their timers are cleared: no kill later
    jest.advanceTimersByTime(5000);
    expect(kills).toEqual([]);
    scheduler.workerGone(101, 137);
    expect(results).toHaveLength(2);
  });
});

describe('allDone', () => {
  test('once every job has a result and the input has ended, and only once', async () => {
    const { scheduler, allDone } = make();
    scheduler.add(0, 1, 'a');
    const a = (await scheduler.next(101, more))!;
    const next = scheduler.next(101, ok(a));
    expect(allDone()).toBe(0); // the input may still bring jobs
    scheduler.endInput();
    expect(allDone()).toBe(1);
    expect(await next).toBeNull(); // the waiting worker is let go
    scheduler.endInput();
    scheduler.workerGone(101, 0);
    expect(allDone()).toBe(1);
  });

  test('an input with no jobs is done when it ends', () => {
    const { scheduler, allDone } = make();
    scheduler.endInput();
    expect(allDone()).toBe(1);
  });

  test('not while a job is queued or running', async () => {
    const { scheduler, allDone } = make();
    scheduler.add(0, 1, 'a');
    scheduler.endInput();
    expect(allDone()).toBe(0);
    await scheduler.next(101, more);
    expect(allDone()).toBe(0);
  });

  test('a worker asking after allDone gets null at once', async () => {
    const { scheduler } = make();
    scheduler.endInput();
    expect(await scheduler.next(101, more)).toBeNull();
  });
});

describe('jobs from a queue (--pg-boss)', () => {
  test('a job from a queue carries its attempt and id to the worker', async () => {
    const { scheduler } = make();
    scheduler.add(0, 0, { n: 1 }, 3, 'abc');
    scheduler.add(1, 0, { n: 2 });
    const a = (await scheduler.next(101, { more: true })) as Assignment;
    expect(a).toEqual({ index: 0, line: 0, attempt: 3, job: { n: 1 }, id: 'abc' });
    const b = (await scheduler.next(102, { more: true })) as Assignment;
    expect(b).toEqual({ index: 1, line: 0, attempt: 1, job: { n: 2 } }); // no id key at all from a file
  });

  test('takeQueued removes the jobs no worker has started, and counts waiting workers', () => {
    const { scheduler } = make();
    for (let i = 0; i < 4; i++) scheduler.add(i, 0, i);
    void scheduler.next(101, { more: true }); // takes job 0
    expect(scheduler.queued).toBe(3);
    expect(scheduler.takeQueued()).toEqual([1, 2, 3]);
    expect(scheduler.queued).toBe(0);
    expect(scheduler.runningCount).toBe(1);
    void scheduler.next(102, { more: true });
    expect(scheduler.waiting).toBe(1);
  });
});
