import { HangWatch, topFrame, type WatchedChild } from '../../../lib/manager/hang-watch';
import type { HungStack } from '../../../lib/view';

function fakeChild(pid: number, port: number | null = 20001): WatchedChild & { signals: string[]; alive: boolean } {
  const signals: string[] = [];
  const child = {
    pid,
    inspectPort: port ?? undefined,
    alive: true,
    currentLifetime: { hung: undefined as HungStack | undefined, finished: false },
    signals,
    kill(signal: NodeJS.Signals): boolean {
      signals.push(signal);
      child.alive = false;
      return true;
    },
  };
  return child;
}

const stack: HungStack = { frames: [{ function: 'spin', file: '/app/a.js', line: 3, column: 5 }], captureMs: 12 };

afterEach(() => jest.useRealTimers());

test('a child whose beats keep coming is never called hung; one whose beats stop is, once', async () => {
  jest.useFakeTimers();
  const captured: number[] = [];
  const killed: Array<[number, HungStack]> = [];
  const watch = new HangWatch(1000, (pid) => (captured.push(pid), Promise.resolve(stack)), (child, s) => killed.push([child.pid, s]));
  const beating = fakeChild(1);
  const stuck = fakeChild(2);
  watch.watch(beating);
  watch.watch(stuck);
  for (let t = 0; t < 20; t++) {
    jest.advanceTimersByTime(500);
    watch.beat(1);
  }
  watch.forget(1); // its beats would stop here: the rest of the test runs pending timers
  await jest.runOnlyPendingTimersAsync();
  expect(captured).toEqual([2]);
  expect(killed).toEqual([[2, stack]]);
  expect(stuck.signals).toEqual(['SIGKILL']);
  expect(stuck.currentLifetime!.hung).toBe(stack);
  expect(beating.signals).toEqual([]);
  expect(beating.currentLifetime!.hung).toBeUndefined();
  expect(watch.size).toBe(0);
});

test('counted from spawn: a child that never beats is hung after hangTimeout', async () => {
  jest.useFakeTimers();
  const watch = new HangWatch(300, () => Promise.resolve(stack));
  const child = fakeChild(3);
  watch.watch(child);
  jest.advanceTimersByTime(299);
  expect(child.signals).toEqual([]);
  jest.advanceTimersByTime(1);
  await jest.runOnlyPendingTimersAsync();
  expect(child.signals).toEqual(['SIGKILL']);
});

test('without a port of ours (the user runs --inspect), no capture is tried, and the note says why', async () => {
  jest.useFakeTimers();
  const capture = jest.fn(() => Promise.resolve(stack));
  const watch = new HangWatch(100, capture);
  const child = fakeChild(4, null);
  watch.watch(child);
  jest.advanceTimersByTime(100);
  await jest.runOnlyPendingTimersAsync();
  expect(capture).not.toHaveBeenCalled();
  expect(child.signals).toEqual(['SIGKILL']);
  expect(child.currentLifetime!.hung?.note).toMatch(/user's own --inspect/);
});

test('a capture that throws still kills, with the error as the note; a child gone meanwhile is not signalled', async () => {
  jest.useFakeTimers();
  const watch = new HangWatch(100, (pid) => {
    if (pid === 6) gone.alive = false;
    return Promise.reject(new Error('boom'));
  });
  const child = fakeChild(5);
  const gone = fakeChild(6);
  watch.watch(child);
  watch.watch(gone);
  jest.advanceTimersByTime(100);
  await jest.runOnlyPendingTimersAsync();
  expect(child.signals).toEqual(['SIGKILL']);
  expect(child.currentLifetime!.hung?.note).toBe('no stack: boom');
  expect(gone.signals).toEqual([]);
});

test('forget() disarms: a reaped child is never called hung', async () => {
  jest.useFakeTimers();
  const capture = jest.fn(() => Promise.resolve(stack));
  const watch = new HangWatch(100, capture);
  const child = fakeChild(7);
  watch.watch(child);
  watch.forget(7);
  jest.advanceTimersByTime(1000);
  await jest.runOnlyPendingTimersAsync();
  expect(capture).not.toHaveBeenCalled();
});

test('topFrame names the innermost frame, or the note', () => {
  expect(topFrame(stack)).toBe('top frame spin (/app/a.js:3:5)');
  expect(topFrame({ frames: [], note: 'no stack: x', captureMs: 1 })).toBe('no stack: x');
});
