import { MAX_TIMER_MS } from '../../../lib/options';
import { Stagger } from '../../../lib/manager/stagger';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

function make(targets: number[], intervalMs: number) {
  const sent: Array<[number, number]> = [];
  const events: string[] = [];
  const stagger = new Stagger(
    targets,
    intervalMs,
    (target) => sent.push([target, Date.now()]),
    () => events.push('ended'),
  );
  return { stagger, sent, events };
}

test('the first target at once, then one per interval, in order', () => {
  const start = Date.now();
  const { stagger, sent } = make([1, 2, 3], 100);
  stagger.run();
  expect(sent).toEqual([[1, start]]);
  jest.advanceTimersByTime(99);
  expect(sent).toHaveLength(1);
  jest.advanceTimersByTime(1);
  expect(sent).toEqual([
    [1, start],
    [2, start + 100],
  ]);
  jest.advanceTimersByTime(100);
  expect(sent.map(([target, at]) => [target, at - start])).toEqual([
    [1, 0],
    [2, 100],
    [3, 200],
  ]);
  expect(jest.getTimerCount()).toBe(0);
});

test('ended is called once, after the last target was sent', () => {
  const { stagger, sent, events } = make([1, 2], 50);
  stagger.run();
  expect(events).toEqual([]);
  jest.advanceTimersByTime(50);
  expect(sent).toHaveLength(2);
  expect(events).toEqual(['ended']);
  jest.advanceTimersByTime(1000);
  expect(events).toHaveLength(1);
});

test('one target: sent and ended synchronously', () => {
  const { stagger, sent, events } = make([7], 1000);
  stagger.run();
  expect(sent).toHaveLength(1);
  expect(events).toEqual(['ended']);
  expect(jest.getTimerCount()).toBe(0);
});

test('no targets: nothing sent, ended at once', () => {
  const { stagger, sent, events } = make([], 1000);
  stagger.run();
  expect(sent).toEqual([]);
  expect(events).toEqual(['ended']);
});

test('an interval longer than a timer can wait is capped, not fired after 1 ms', () => {
  const { stagger, sent } = make([1, 2], Number.MAX_SAFE_INTEGER);
  stagger.run();
  jest.advanceTimersByTime(1000);
  expect(sent).toHaveLength(1);
  jest.advanceTimersByTime(MAX_TIMER_MS - 1000);
  expect(sent).toHaveLength(2);
});

test('an interval of 0 still goes one target per timer turn', () => {
  const { stagger, sent } = make([1, 2, 3], 0);
  stagger.run();
  expect(sent).toHaveLength(1);
  jest.advanceTimersByTime(0);
  jest.runOnlyPendingTimers();
  jest.runOnlyPendingTimers();
  expect(sent.map(([target]) => target)).toEqual([1, 2, 3]);
});

test('extend() queues more targets behind those waiting (not twice); flush() sends the rest now, and ends once', () => {
  const { stagger, sent, events } = make([1, 2, 3], 1000);
  stagger.run();
  stagger.extend([3, 4]);
  jest.advanceTimersByTime(1000);
  expect(sent.map(([target]) => target)).toEqual([1, 2]);
  stagger.flush();
  expect(sent.map(([target]) => target)).toEqual([1, 2, 3, 4]);
  expect(events).toEqual(['ended']);
  jest.advanceTimersByTime(10_000);
  expect(sent).toHaveLength(4);
  expect(events).toHaveLength(1);
});
