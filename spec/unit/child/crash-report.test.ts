import fs from 'node:fs';
import { watchCrashes } from '../../../lib/child/crash-report';

// watchCrashes adds a process-wide 'uncaughtExceptionMonitor' listener: each test removes what it added.
let before: Array<(...args: unknown[]) => void>;
let writes: jest.SpiedFunction<typeof fs.writeSync>;
beforeEach(() => {
  before = process.listeners('uncaughtExceptionMonitor') as typeof before;
  writes = jest.spyOn(fs, 'writeSync').mockImplementation(() => 0);
});
afterEach(() => {
  for (const listener of process.listeners('uncaughtExceptionMonitor')) {
    if (!before.includes(listener as (...args: unknown[]) => void)) process.removeListener('uncaughtExceptionMonitor', listener);
  }
  writes.mockRestore();
});

/** What Node does just before it dies of an uncaught exception. */
const emit = process.emit.bind(process) as (event: string, ...args: unknown[]) => boolean;
const dying = (error: unknown): boolean => emit('uncaughtExceptionMonitor', error, 'uncaughtException');

test('the last words go out with a synchronous write on the given fd when the channel has nothing queued', () => {
  const viaChannel = jest.fn(() => false);
  watchCrashes(4, (error) => `{"type":"crash","message":${JSON.stringify((error as Error).message)}}\n`, viaChannel);
  dying(new Error('boom'));
  expect(viaChannel).toHaveBeenCalledWith('{"type":"crash","message":"boom"}\n');
  expect(writes).toHaveBeenCalledWith(4, '{"type":"crash","message":"boom"}\n');
});

test('through the channel instead when it has bytes queued (a direct write would cut into one of its lines)', () => {
  const viaChannel = jest.fn(() => true);
  watchCrashes(4, () => 'line\n', viaChannel);
  dying(new Error('boom'));
  expect(viaChannel).toHaveBeenCalledTimes(1);
  expect(writes).not.toHaveBeenCalled();
});

test('an error that cannot be described, or a pipe that is gone, is no second exception', () => {
  const viaChannel = jest.fn(() => false);
  watchCrashes(4, () => {
    throw new Error('cannot describe');
  }, viaChannel);
  expect(() => dying(new Error('boom'))).not.toThrow();
  expect(viaChannel).not.toHaveBeenCalled();
  expect(writes).not.toHaveBeenCalled();

  writes.mockImplementation(() => {
    throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
  });
  watchCrashes(4, () => 'line\n', () => false);
  expect(() => dying(new Error('boom'))).not.toThrow();
  expect(writes).toHaveBeenCalledWith(4, 'line\n');
});
