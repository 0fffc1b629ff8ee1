import { CallbackError } from '../../lib/errors';

test('carries its code, the callback name and the message, and names itself CallbackError', () => {
  const error = new CallbackError('TIMEOUT', 'resize', 'resize did not settle within 5000 ms');
  expect(error).toBeInstanceOf(Error);
  expect(error).toBeInstanceOf(CallbackError);
  expect(error.code).toBe('TIMEOUT');
  expect(error.callbackName).toBe('resize');
  expect(error.message).toBe('resize did not settle within 5000 ms');
  expect(error.name).toBe('CallbackError');
  expect(String(error)).toBe('CallbackError: resize did not settle within 5000 ms');
  expect(error.stack?.split('\n')[0]).toBe('CallbackError: resize did not settle within 5000 ms');
});

test('without a cause there is no cause property at all (not one set to undefined)', () => {
  const error = new CallbackError('UNKNOWN_CALLBACK', 'nope', 'no handler named nope');
  expect(error.cause).toBeUndefined();
  expect('cause' in error).toBe(false);
});

test("HANDLER_ERROR: the handler's error is the standard cause", () => {
  const cause = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
  const error = new CallbackError('HANDLER_ERROR', 'work', 'work failed: bad input', cause);
  expect(error.cause).toBe(cause);
  expect(Object.getOwnPropertyDescriptor(error, 'cause')).toMatchObject({ value: cause, enumerable: false });
});

test('the code and callback name are enumerable own fields (they reach JSON and util.inspect), the cause is not', () => {
  const error = new CallbackError('BAD_RESULT', 'sum', 'sum returned a BigInt', new Error('x'));
  expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'BAD_RESULT', callbackName: 'sum', name: 'CallbackError' });
});
