import { CallbackServer } from '../../../lib/manager/callback-server';
import type { CallbackHandler, PreforkView } from '../../../lib/view';

const owner = { isChild: false } as PreforkView;

function server(handlers: Record<string, CallbackHandler>, timeoutMs?: number): CallbackServer {
  return new CallbackServer(new Map(Object.entries(handlers)), owner, timeoutMs);
}

afterEach(() => {
  jest.useRealTimers();
});

test('a handler gets the owner, the pid and the payload, and its sync result is the answer', async () => {
  const handler = jest.fn((_ppi: PreforkView, pid: number, payload: unknown) => ({ pid, payload }));
  const outcome = await server({ echo: handler }).handle('echo', 42, { a: 1 });
  expect(outcome).toEqual({ ok: true, result: { pid: 42, payload: { a: 1 } } });
  expect(handler).toHaveBeenCalledTimes(1);
  expect(handler.mock.calls[0][0]).toBe(owner);
});

test('an async result is awaited', async () => {
  const outcome = await server({ later: () => Promise.resolve('done') }).handle('later', 1, undefined);
  expect(outcome).toEqual({ ok: true, result: 'done' });
});

test('undefined and null results stay what they are', async () => {
  const s = server({ none: () => undefined, nil: () => null });
  expect(await s.handle('none', 1, undefined)).toEqual({ ok: true, result: undefined });
  expect(await s.handle('nil', 1, undefined)).toEqual({ ok: true, result: null });
});

test('the handler runs after handle() returns, never inside the caller’s stack', () => {
  const handler = jest.fn();
  void server({ h: handler }).handle('h', 1, undefined);
  expect(handler).not.toHaveBeenCalled();
});

test('an unknown name is UNKNOWN_CALLBACK, listing the names defined', async () => {
  expect(await server({ add: () => 0, sub: () => 0 }).handle('mul', 1, undefined)).toEqual({
    ok: false,
    code: 'UNKNOWN_CALLBACK',
    message: "no callback named 'mul' in the manager (defined: 'add', 'sub')",
  });
});

test('with no callbacks defined, the list says none', async () => {
  expect(await server({}).handle('x', 1, undefined)).toEqual({
    ok: false,
    code: 'UNKNOWN_CALLBACK',
    message: "no callback named 'x' in the manager (defined: none)",
  });
});

test('a handler that throws is HANDLER_ERROR with its message; handle() does not reject', async () => {
  const outcome = await server({
    boom: () => {
      throw new Error('kaput');
    },
  }).handle('boom', 1, undefined);
  expect(outcome).toEqual({
    ok: false,
    code: 'HANDLER_ERROR',
    message: "callback 'boom' failed in the manager: kaput",
    // The handler's error itself, for the child's CallbackError.cause (issue 10).
    cause: { name: 'Error', message: 'kaput', stack: expect.stringMatching(/^Error: kaput\n\s+at boom /) as unknown },
  });
});

test('a rejection is HANDLER_ERROR; a non-Error reason is shown as a string', async () => {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the test is about a non-Error rejection reason
  const s = server({ rej: () => Promise.reject(new Error('no')), str: () => Promise.reject('plain') });
  expect(await s.handle('rej', 1, undefined)).toEqual({
    ok: false,
    code: 'HANDLER_ERROR',
    message: "callback 'rej' failed in the manager: no",
    cause: { name: 'Error', message: 'no', stack: expect.any(String) as unknown },
  });
  expect(await s.handle('str', 1, undefined)).toEqual({
    ok: false,
    code: 'HANDLER_ERROR',
    message: "callback 'str' failed in the manager: plain",
    cause: { name: 'Error', message: 'plain' },
  });
});

test('with a timeout, a handler that throws is still HANDLER_ERROR', async () => {
  const outcome = await server({ boom: () => Promise.reject(new Error('x')) }, 1000).handle('boom', 1, undefined);
  expect(outcome).toMatchObject({ ok: false, code: 'HANDLER_ERROR' });
});

test('a handler not settled within the timeout is TIMEOUT', async () => {
  jest.useFakeTimers();
  const outcome = server({ slow: () => new Promise(() => {}) }, 500).handle('slow', 1, undefined);
  let settled: unknown;
  void outcome.then((o) => (settled = o));
  await jest.advanceTimersByTimeAsync(499);
  expect(settled).toBeUndefined();
  await jest.advanceTimersByTimeAsync(1);
  expect(settled).toEqual({ ok: false, code: 'TIMEOUT', message: "callback 'slow' timed out after 500 ms" });
});

test('a handler settled in time wins, and its timer is cleared', async () => {
  jest.useFakeTimers();
  const outcome = server({ quick: () => new Promise((resolve) => setTimeout(() => resolve(7), 100)) }, 500).handle('quick', 1, undefined);
  await jest.advanceTimersByTimeAsync(100);
  expect(await outcome).toEqual({ ok: true, result: 7 });
  expect(jest.getTimerCount()).toBe(0);
});

test('a sync result with a timeout is answered at once and leaves no timer', async () => {
  jest.useFakeTimers();
  expect(await server({ sync: () => 3 }, 500).handle('sync', 1, undefined)).toEqual({ ok: true, result: 3 });
  expect(jest.getTimerCount()).toBe(0);
});

test('calls run on their own: a slow one does not hold back a quick one', async () => {
  jest.useFakeTimers();
  const s = server({
    slow: () => new Promise((resolve) => setTimeout(() => resolve('slow'), 1000)),
    quick: () => 'quick',
  });
  const order: string[] = [];
  const slow = s.handle('slow', 1, undefined).then(() => order.push('slow'));
  const quick = s.handle('quick', 2, undefined).then(() => order.push('quick'));
  await quick;
  expect(order).toEqual(['quick']);
  await jest.advanceTimersByTimeAsync(1000);
  await slow;
  expect(order).toEqual(['quick', 'slow']);
});
