import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { takeConnections } from '../../../lib/child/round-robin';

/**
 * The IPC channel stood in for: `process.send` records what the child says,
 * `process.connected` is set by the test, and the manager's messages are
 * `deliver(message, handle)`, as Node delivers them.
 */
const sent: unknown[] = [];
const saved = { send: Object.getOwnPropertyDescriptor(process, 'send'), connected: Object.getOwnPropertyDescriptor(process, 'connected') };

function channel(connected = true): void {
  Object.defineProperty(process, 'send', {
    configurable: true,
    writable: true,
    value: (message: unknown, _handle?: unknown, _options?: unknown, callback?: () => void) => {
      sent.push(message);
      callback?.();
      return true;
    },
  });
  Object.defineProperty(process, 'connected', { configurable: true, writable: true, value: connected });
}

function restore(name: 'send' | 'connected'): void {
  const descriptor = saved[name];
  if (descriptor) Object.defineProperty(process, name, descriptor);
  else delete (process as unknown as Record<string, unknown>)[name];
}

/** A message from the manager on the IPC channel, with the handle sent with it. */
function deliver(message: unknown, handle?: unknown): void {
  (process.emit as (event: string, ...args: unknown[]) => boolean).call(process, 'message', message, handle);
}

let baseline: { message: number; disconnect: number };
const sockets: net.Socket[] = [];

beforeEach(() => {
  sent.length = 0;
  channel();
  baseline = { message: process.listenerCount('message'), disconnect: process.listenerCount('disconnect') };
});

afterEach(() => {
  // Ends every intake a test left taking (each would take the next test's connections too).
  process.emit('disconnect');
  for (const socket of sockets.splice(0)) socket.destroy();
  restore('send');
  restore('connected');
});

function socket(): net.Socket {
  const s = new net.Socket();
  sockets.push(s);
  return s;
}

/** The server's 'connection' events, as the sockets it was given. */
function given(server: net.Server): net.Socket[] {
  const got: net.Socket[] = [];
  server.on('connection', (s: net.Socket) => got.push(s));
  return got;
}

describe('takeConnections', () => {
  test('refuses without an IPC channel, saying the child must be spawned by its manager', () => {
    Object.defineProperty(process, 'send', { configurable: true, writable: true, value: undefined }); // (a Jest worker has one of its own)
    expect(() => takeConnections(new net.Server(), 0)).toThrow(/this child has no IPC channel to receive them on \(a child must be spawned by its PreforkIPC manager\)/);
  });

  test('refuses with a channel already disconnected', () => {
    channel(false);
    expect(() => takeConnections(new net.Server(), 0)).toThrow(/no IPC channel/);
    expect(sent).toEqual([]);
  });

  test("tells the manager it serves that listener, and emits 'listening' (http.Server starts its timeout checks then)", () => {
    const server = new net.Server();
    const listening = jest.fn();
    server.on('listening', listening);
    takeConnections(server, 2);
    expect(sent).toEqual([{ ppiServing: 2 }]);
    expect(listening).toHaveBeenCalledTimes(1);
    expect(process.listenerCount('message')).toBe(baseline.message + 1);
  });

  test('a connection for its listener: acknowledged (ppiTaken) and given to the server', () => {
    const server = new net.Server();
    const got = given(server);
    takeConnections(server, 1);
    const s = socket();
    deliver({ ppiConnection: 1 }, s);
    expect(got).toEqual([s]);
    expect(sent).toEqual([{ ppiServing: 1 }, { ppiTaken: 1 }]);
  });

  test("another listener's connection, a message that is not one, or a handle that is not a socket: not taken", () => {
    const server = new net.Server();
    const got = given(server);
    takeConnections(server, 1);
    deliver({ ppiConnection: 0 }, socket());
    deliver({ ppiConnection: '1' }, socket());
    deliver({ other: 1 }, socket());
    deliver({ ppiConnection: 1 }, new net.Server());
    deliver({ ppiConnection: 1 }, undefined);
    expect(got).toEqual([]);
    expect(sent).toEqual([{ ppiServing: 1 }]);
  });

  test("the socket gets what the server's own accept would set: http.Server's allowHalfOpen and noDelay", () => {
    const server = http.createServer();
    takeConnections(server, 0);
    const s = socket();
    const noDelay = jest.spyOn(s, 'setNoDelay');
    const keepAlive = jest.spyOn(s, 'setKeepAlive');
    server.on('connection', () => {}); // http's own handler parses; ours only looks
    const parse = jest.spyOn(server, 'emit');
    deliver({ ppiConnection: 0 }, s);
    expect(parse).toHaveBeenCalledWith('connection', s);
    expect(s.allowHalfOpen).toBe(true);
    expect(noDelay).toHaveBeenCalledWith(true);
    expect(keepAlive).not.toHaveBeenCalled();
  });

  test('a plain net.Server (not allowHalfOpen, no noDelay): the socket is not half-open, and no options are set', () => {
    const server = new net.Server();
    takeConnections(server, 0);
    const s = socket();
    s.allowHalfOpen = true;
    const noDelay = jest.spyOn(s, 'setNoDelay');
    const keepAlive = jest.spyOn(s, 'setKeepAlive');
    const pause = jest.spyOn(s, 'pause');
    deliver({ ppiConnection: 0 }, s);
    expect(s.allowHalfOpen).toBe(false);
    expect(noDelay).not.toHaveBeenCalled();
    expect(keepAlive).not.toHaveBeenCalled();
    expect(pause).not.toHaveBeenCalled();
  });

  test('keepAlive with its initial delay (kept in seconds, set in ms), and pauseOnConnect', () => {
    const server = new net.Server({ keepAlive: true, keepAliveInitialDelay: 3000, pauseOnConnect: true });
    takeConnections(server, 0);
    const s = socket();
    const keepAlive = jest.spyOn(s, 'setKeepAlive');
    const pause = jest.spyOn(s, 'pause');
    deliver({ ppiConnection: 0 }, s);
    expect(keepAlive).toHaveBeenCalledWith(true, 3000);
    expect(pause).toHaveBeenCalledTimes(1);
  });

  test('keepAlive without an initial delay: 0', () => {
    const server = new net.Server({ keepAlive: true });
    (server as net.Server & { keepAliveInitialDelay?: number }).keepAliveInitialDelay = undefined;
    takeConnections(server, 0);
    const s = socket();
    const keepAlive = jest.spyOn(s, 'setKeepAlive');
    deliver({ ppiConnection: 0 }, s);
    expect(keepAlive).toHaveBeenCalledWith(true, 0);
  });
});

describe('stop()', () => {
  test('asks the manager to stop dealing, and calls back only at its ppiStopped for this listener', () => {
    const intake = takeConnections(new net.Server(), 3);
    const done = jest.fn();
    deliver({ ppiStopped: 3 }); // before stop(): not an answer to anything
    intake.stop(done);
    expect(sent).toEqual([{ ppiServing: 3 }, { ppiStopping: 3 }]);
    deliver({ ppiStopped: 2 });
    expect(done).not.toHaveBeenCalled();
    deliver({ ppiStopped: 3 });
    expect(done).toHaveBeenCalledTimes(1);
    deliver({ ppiStopped: 3 });
    expect(done).toHaveBeenCalledTimes(1);
  });

  test("once stopped its listeners are off the channel (so the IPC channel no longer keeps the child alive)", () => {
    const intake = takeConnections(new net.Server(), 0);
    expect(process.listenerCount('message')).toBe(baseline.message + 1);
    expect(process.listenerCount('disconnect')).toBe(baseline.disconnect + 1);
    intake.stop(() => {});
    deliver({ ppiStopped: 0 });
    expect(process.listenerCount('message')).toBe(baseline.message);
    expect(process.listenerCount('disconnect')).toBe(baseline.disconnect);
  });

  test('a connection dealt before the manager knew of the stop is still taken', () => {
    const server = new net.Server();
    const got = given(server);
    const intake = takeConnections(server, 0);
    intake.stop(() => {});
    const s = socket();
    deliver({ ppiConnection: 0 }, s);
    expect(got).toEqual([s]);
    expect(sent).toContainEqual({ ppiTaken: 0 });
  });

  test('calls back only once every connection taken has closed, as net.Server#close() does', async () => {
    const intake = takeConnections(new net.Server(), 0);
    const first = socket();
    const second = socket();
    deliver({ ppiConnection: 0 }, first);
    deliver({ ppiConnection: 0 }, second);
    const done = jest.fn();
    intake.stop(done);
    deliver({ ppiStopped: 0 });
    expect(done).not.toHaveBeenCalled();
    first.destroy();
    await once(first, 'close');
    expect(done).not.toHaveBeenCalled();
    second.destroy();
    await once(second, 'close');
    expect(done).toHaveBeenCalledTimes(1);
  });

  test('a connection that closes before the stop does not hold it up', async () => {
    const intake = takeConnections(new net.Server(), 0);
    const s = socket();
    deliver({ ppiConnection: 0 }, s);
    s.destroy();
    await once(s, 'close');
    const done = jest.fn();
    intake.stop(done);
    deliver({ ppiStopped: 0 });
    expect(done).toHaveBeenCalledTimes(1);
  });

  test('the manager gone (disconnect): no connection can come, so stop() calls back at once, asking nothing', () => {
    const intake = takeConnections(new net.Server(), 0);
    process.emit('disconnect');
    expect(process.listenerCount('message')).toBe(baseline.message);
    const done = jest.fn();
    intake.stop(done);
    expect(done).toHaveBeenCalledTimes(1);
    expect(sent).toEqual([{ ppiServing: 0 }]);
  });

  test('a channel that closed without a disconnect event yet: stop() ends at once', () => {
    const intake = takeConnections(new net.Server(), 0);
    Object.defineProperty(process, 'connected', { configurable: true, writable: true, value: false });
    const done = jest.fn();
    intake.stop(done);
    expect(done).toHaveBeenCalledTimes(1);
    expect(process.listenerCount('message')).toBe(baseline.message);
  });

  test('the manager gone during the stop: the stop ends without its answer', () => {
    const intake = takeConnections(new net.Server(), 0);
    const done = jest.fn();
    intake.stop(done);
    expect(done).not.toHaveBeenCalled();
    process.emit('disconnect');
    expect(done).toHaveBeenCalledTimes(1);
  });
});
