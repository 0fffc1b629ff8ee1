import fs from 'node:fs';
import { warnOnAddressInUse, type ListenerMode } from '../../../lib/child/addr-in-use';

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

const listenError = (extra: object = {}): Error =>
  Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), { code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 8080, ...extra });
/** What Node does just before it dies of an uncaught exception. */
const emit = process.emit.bind(process) as (event: string, ...args: unknown[]) => boolean;
const dying = (error: unknown): boolean => emit('uncaughtExceptionMonitor', error, 'uncaughtException');
const warned = (): string => writes.mock.calls.map(([fd, text]) => `${String(fd)}:${String(text)}`).join('');

test.each<[ListenerMode, RegExp]>([
  ['none', /is the port held by the manager .*'listen' option/],
  ['kernel', /listen on the manager's socket instead, with server\.listen\(ppi\.listeners\[0\]\) or ppi\.serve\(server\)/],
  ['round-robin', /balance: 'round-robin' the manager accepts .*ppi\.serve\(server\)/],
])('a child dying of EADDRINUSE in listen() gets one warning on stderr that fits how it holds sockets (%s)', (mode, advice) => {
  warnOnAddressInUse(() => mode);
  dying(listenError());
  expect(writes).toHaveBeenCalledTimes(1);
  expect(warned()).toMatch(/^2:\(node:\d+\) \[PREFORK_IPC\] Warning: this child's listen\(\) on 127\.0\.0\.1:8080 failed with EADDRINUSE/);
  expect(warned()).toMatch(advice);
});

test('a Unix socket path is named as the address', () => {
  warnOnAddressInUse(() => 'none');
  dying(listenError({ port: undefined, address: '/run/app.sock' }));
  expect(warned()).toContain("listen() on /run/app.sock failed with EADDRINUSE");
});

test('other errors (another code, EADDRINUSE from connect) are left to Node alone', () => {
  warnOnAddressInUse(() => 'kernel');
  dying(new Error('plain'));
  dying(listenError({ syscall: 'connect' }));
  dying(listenError({ code: 'EACCES' }));
  dying('a string thrown');
  dying(null);
  expect(writes).not.toHaveBeenCalled();
});
