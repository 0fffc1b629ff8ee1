import type { Assignment } from '../../../lib/cli/callbacks';
import { Scheduler } from '../../../lib/cli/scheduler';

function make() {
  return new Scheduler(0, undefined, { result: () => {}, demand: () => {}, kill: () => {}, allDone: () => {} });
}

test('a job from a queue carries its attempt and id to the worker', async () => {
  const scheduler = make();
  scheduler.add(0, 0, { n: 1 }, 3, 'abc');
  scheduler.add(1, 0, { n: 2 });
  const a = (await scheduler.next(101, { more: true })) as Assignment;
  expect(a).toEqual({ index: 0, line: 0, attempt: 3, job: { n: 1 }, id: 'abc' });
  const b = (await scheduler.next(102, { more: true })) as Assignment;
  expect(b).toEqual({ index: 1, line: 0, attempt: 1, job: { n: 2 } }); // no id key at all from a file
});

test('takeQueued removes the jobs no worker has started, and counts waiting workers', () => {
  const scheduler = make();
  for (let i = 0; i < 4; i++) scheduler.add(i, 0, i);
  void scheduler.next(101, { more: true }); // takes job 0
  expect(scheduler.queued).toBe(3);
  expect(scheduler.takeQueued()).toEqual([1, 2, 3]);
  expect(scheduler.queued).toBe(0);
  expect(scheduler.runningCount).toBe(1);
  void scheduler.next(102, { more: true });
  expect(scheduler.waiting).toBe(1);
});
