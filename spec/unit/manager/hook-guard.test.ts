import { callHook, isThenable, settleHook, THREW } from '../../../lib/manager/hook-guard';

describe('isThenable', () => {
  test.each([
    ['a promise', Promise.resolve(1), true],
    ['an object with then()', { then: () => {} }, true],
    ['a function with then()', Object.assign(() => {}, { then: () => {} }), true],
    ['null', null, false],
    ['undefined', undefined, false],
    ['a number', 1, false],
    ['a string', 'then', false],
    ['an object whose then is not a function', { then: 1 }, false],
    ['a plain object', {}, false],
  ])('%s → %s', (_, value, expected) => {
    expect(isThenable(value)).toBe(expected);
  });
});

describe('callHook', () => {
  test('gives the hook’s result and reports nothing', () => {
    const onError = jest.fn();
    const result = Promise.resolve(1);
    expect(callHook(() => 5, onError)).toBe(5);
    expect(callHook(() => undefined, onError)).toBeUndefined();
    expect(callHook(() => result, onError)).toBe(result);
    expect(onError).not.toHaveBeenCalled();
  });

  test('a synchronous throw goes to onError and gives THREW', () => {
    const onError = jest.fn();
    const error = new Error('x');
    expect(
      callHook(() => {
        throw error;
      }, onError),
    ).toBe(THREW);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(error);
  });

  test('a throw of a non-Error value is passed on as is', () => {
    const onError = jest.fn();
    callHook(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the test is about a thrown non-Error value
      throw 'text';
    }, onError);
    expect(onError).toHaveBeenCalledWith('text');
  });
});

describe('settleHook', () => {
  test('undefined for a result that is not a promise', () => {
    const onError = jest.fn();
    for (const value of [undefined, null, 0, 'x', {}, THREW]) expect(settleHook(value, onError)).toBeUndefined();
    expect(onError).not.toHaveBeenCalled();
  });

  test('a fulfilled promise settles to undefined without onError', async () => {
    const onError = jest.fn();
    await expect(settleHook(Promise.resolve('value'), onError)).resolves.toBeUndefined();
    expect(onError).not.toHaveBeenCalled();
  });

  test('a rejection goes to onError and the returned promise still resolves', async () => {
    const onError = jest.fn();
    const error = new Error('late');
    await expect(settleHook(Promise.reject(error), onError)).resolves.toBeUndefined();
    expect(onError).toHaveBeenCalledWith(error);
  });

  test('a thenable that is not a Promise is followed too', async () => {
    const onError = jest.fn();
    const thenable = { then: (_ok: unknown, fail: (e: unknown) => void) => fail('nope') };
    await settleHook(thenable, onError);
    expect(onError).toHaveBeenCalledWith('nope');
  });

  test('the returned promise waits for the hook’s promise', async () => {
    let release!: () => void;
    const hook = new Promise<void>((resolve) => (release = resolve));
    let settled = false;
    void settleHook(hook, () => {})!.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(true);
  });
});
