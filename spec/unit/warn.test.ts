import fs from 'node:fs';
import { rewordWarnings, warn, warnBeforeDying } from '../../lib/warn';

afterEach(() => {
  rewordWarnings(undefined);
  jest.restoreAllMocks();
});

function emitted(): jest.SpyInstance {
  return jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
}

function written(): jest.SpyInstance {
  return jest.spyOn(fs, 'writeSync').mockImplementation(() => 0);
}

test("warn(): Node's warning channel, with the library's one code, so users can filter it", () => {
  const spy = emitted();
  warn('something odd');
  expect(spy).toHaveBeenCalledTimes(1);
  expect(spy).toHaveBeenCalledWith('something odd', { code: 'PREFORK_IPC' });
});

test('rewordWarnings(fn): warn() says what fn makes of the message, until rewordWarnings(undefined)', () => {
  const spy = emitted();
  rewordWarnings((message) => `in other words: ${message}`);
  warn('one');
  rewordWarnings(undefined);
  warn('two');
  expect(spy.mock.calls).toEqual([
    ['in other words: one', { code: 'PREFORK_IPC' }],
    ['two', { code: 'PREFORK_IPC' }],
  ]);
});

test("warnBeforeDying(): written to stderr at once, in the format Node prints warn()'s in", () => {
  const write = written();
  const emit = emitted();
  warnBeforeDying('about to die');
  expect(write).toHaveBeenCalledTimes(1);
  expect(write).toHaveBeenCalledWith(2, `(node:${process.pid}) [PREFORK_IPC] Warning: about to die\n`);
  expect(emit).not.toHaveBeenCalled(); // not on the next tick: there may be none
});

test('warnBeforeDying() is reworded too', () => {
  const write = written();
  rewordWarnings((message) => message.toUpperCase());
  warnBeforeDying('quiet');
  expect(write).toHaveBeenCalledWith(2, `(node:${process.pid}) [PREFORK_IPC] Warning: QUIET\n`);
});

test('warnBeforeDying() never throws, even with no stderr to write to', () => {
  const write = jest.spyOn(fs, 'writeSync').mockImplementation(() => {
    throw Object.assign(new Error('EBADF: bad file descriptor, write'), { code: 'EBADF' });
  });
  expect(() => warnBeforeDying('nowhere')).not.toThrow();
  expect(write).toHaveBeenCalledTimes(1);
});
