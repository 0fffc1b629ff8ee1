import { WarnLimit } from '../../../lib/manager/warn-limit';

let printed: string[];
let spy: jest.SpyInstance;

beforeEach(() => {
  jest.useFakeTimers();
  printed = [];
  spy = jest.spyOn(process, 'emitWarning').mockImplementation((message) => void printed.push(String(message)));
});
afterEach(() => {
  spy.mockRestore();
  jest.useRealTimers();
});

test('the first warnings of a window are shown, the rest counted and reported once the window ends', () => {
  const limit = new WarnLimit('bad lines from child 7', 3, 1000);
  const shown = Array.from({ length: 10 }, (_, i) => limit.warn(() => `bad line ${i}`));
  expect(shown).toEqual([true, true, true, false, false, false, false, false, false, false]);
  expect(printed).toEqual(['bad line 0', 'bad line 1', 'bad line 2']);
  jest.advanceTimersByTime(1000);
  expect(printed.at(-1)).toBe('7 more bad lines from child 7 were not shown (at most 3 warnings per 1 s)');
  // A new window shows again.
  expect(limit.warn(() => 'bad line 10')).toBe(true);
  expect(printed.at(-1)).toBe('bad line 10');
});

test('close() reports what is still counted and leaves no timer behind', () => {
  const limit = new WarnLimit('bad lines', 1, 1000);
  limit.warn(() => 'a');
  limit.warn(() => 'b');
  limit.close();
  expect(printed).toEqual(['a', '1 more bad lines were not shown (at most 1 warnings per 1 s)']);
  expect(jest.getTimerCount()).toBe(0);
});

test('nothing suppressed: no summary, and the timer is unref\'d (it never keeps the manager alive)', () => {
  jest.useRealTimers();
  const timers: NodeJS.Timeout[] = [];
  const real = global.setTimeout;
  const timeoutSpy = jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
    const timer = real(fn, ms);
    timers.push(timer);
    return timer;
  }) as typeof setTimeout);
  try {
    const limit = new WarnLimit('bad lines', 5, 60_000);
    limit.warn(() => 'a');
    expect(timers).toHaveLength(1);
    expect(timers[0].hasRef()).toBe(false);
    limit.close();
    expect(printed).toEqual(['a']);
  } finally {
    timeoutSpy.mockRestore();
  }
});

test('the message is not even built when it is suppressed', () => {
  const limit = new WarnLimit('bad lines', 0, 1000);
  const build = jest.fn(() => 'x');
  expect(limit.warn(build)).toBe(false);
  expect(build).not.toHaveBeenCalled();
  limit.close();
});
