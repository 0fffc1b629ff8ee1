import type { ChildProcess } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { CallbackServer } from '../../../lib/manager/callback-server';
import { channelOf, EVENT_PREFIX, observed, publish, subscribe, type PoolEvents } from '../../../lib/manager/events';
import { openListeners } from '../../../lib/manager/listeners';
import { RoundRobin } from '../../../lib/manager/round-robin';
import type { PreforkView } from '../../../lib/view';

const owner = {} as PreforkView;
const exit: PoolEvents['exit'] = { pid: 1, generation: 1, code: 0, signal: null, manager: 1, at: 0 };

test('channel names are the prefix plus the event name, on node:diagnostics_channel', () => {
  expect(EVENT_PREFIX).toBe('parallel-prefork-ipc:');
  expect(channelOf('callback:end')).toBe(diagnostics.channel('parallel-prefork-ipc:callback:end'));
  // One channel object per name, however often it is asked for.
  expect(channelOf('spawn')).toBe(channelOf('spawn'));
});

test('subscribe receives what is published; the unsubscribe stops it', () => {
  const seen: unknown[] = [];
  expect(observed('exit')).toBe(false);
  const off = subscribe('exit', (message) => seen.push(message));
  expect(observed('exit')).toBe(true);
  publish('exit', exit);
  off();
  expect(observed('exit')).toBe(false);
  publish('exit', { ...exit, pid: 2 });
  expect(seen).toEqual([exit]);
});

test('a plain diagnostics_channel subscriber (a tracing tool) gets the same messages', () => {
  const seen: unknown[] = [];
  const listener = (message: unknown): void => void seen.push(message);
  diagnostics.subscribe('parallel-prefork-ipc:exit', listener);
  publish('exit', exit);
  diagnostics.unsubscribe('parallel-prefork-ipc:exit', listener);
  expect(seen).toEqual([exit]);
});

test('publish with nobody subscribed reaches no one and throws nothing', () => {
  const channel = channelOf('retire');
  expect(channel.hasSubscribers).toBe(false);
  expect(() => publish('retire', { pid: 1, generation: 1, reason: 'served', manager: 1, at: 0 })).not.toThrow();
});

describe('callback:start / callback:end from the CallbackServer', () => {
  const handlers = new Map<string, (ppi: PreforkView, pid: number, payload: unknown) => unknown>([
    ['double', (_ppi, _pid, n) => (n as number) * 2],
    ['boom', () => {
      throw new Error('no');
    }],
  ]);

  test('a call publishes start, then end with ok, duration and the manager id', async () => {
    const server = new CallbackServer(handlers, owner, undefined, 7);
    const seen: Array<[string, Record<string, unknown>]> = [];
    const offs = [
      subscribe('callback:start', (m) => seen.push(['start', m])),
      subscribe('callback:end', (m) => seen.push(['end', m])),
    ];
    try {
      await expect(server.handle('double', 42, 2)).resolves.toEqual({ ok: true, result: 4 });
      await server.handle('boom', 42, null);
      await server.handle('nope', 43, null);
    } finally {
      for (const off of offs) off();
    }
    expect(seen.map(([kind, m]) => [kind, m.name, m.pid, m.manager])).toEqual([
      ['start', 'double', 42, 7],
      ['end', 'double', 42, 7],
      ['start', 'boom', 42, 7],
      ['end', 'boom', 42, 7],
      ['start', 'nope', 43, 7],
      ['end', 'nope', 43, 7],
    ]);
    const ends = seen.filter(([kind]) => kind === 'end').map(([, m]) => m);
    expect(ends.map((m) => [m.ok, m.code])).toEqual([
      [true, undefined],
      [false, 'HANDLER_ERROR'],
      [false, 'UNKNOWN_CALLBACK'],
    ]);
    for (const m of ends) {
      expect(typeof m.durationMs).toBe('number');
      expect(m.durationMs).toBeGreaterThanOrEqual(0);
      expect(typeof m.at).toBe('number');
    }
  });

  test('only end observed: no start is published, the end still carries the duration', async () => {
    const server = new CallbackServer(handlers, owner, undefined, 1);
    const ends: Array<PoolEvents['callback:end']> = [];
    const off = subscribe('callback:end', (m) => ends.push(m));
    try {
      await server.handle('double', 5, 1);
    } finally {
      off();
    }
    expect(observed('callback:start')).toBe(false);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ pid: 5, name: 'double', ok: true });
  });

  test('unobserved, serve answers the same', async () => {
    const server = new CallbackServer(handlers, owner, undefined, 1);
    await expect(server.handle('double', 5, 21)).resolves.toEqual({ ok: true, result: 42 });
  });
});

describe('backlog from the round-robin dealer', () => {
  const clients: net.Socket[] = [];
  afterAll(() => {
    for (const client of clients) client.destroy();
  });

  /** Collects backlog messages; `reached(n)` resolves once n have arrived (rejects after 20 s). */
  function backlogs(): { seen: Array<PoolEvents['backlog']>; reached: (n: number) => Promise<void>; off: () => void } {
    const seen: Array<PoolEvents['backlog']> = [];
    const waiting: Array<{ n: number; resolve: () => void }> = [];
    const off = subscribe('backlog', (message) => {
      seen.push(message);
      for (const w of waiting.filter((w) => seen.length >= w.n)) w.resolve();
    });
    const reached = (n: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (seen.length >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`${seen.length} of ${n} backlog messages within 20 s`)), 20_000);
        waiting.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    return { seen, reached, off };
  }

  test('the waiting count, each time it changes: up as connections queue, down to 0 when a child serves', async () => {
    const listeners = await openListeners([{ port: 0, host: '127.0.0.1' }]);
    const rr = await RoundRobin.open(listeners, 3);
    const child = Object.assign(new EventEmitter(), {
      connected: true,
      send: (_message: unknown, _socket: unknown, _options: unknown, callback?: (error: Error | null) => void) => {
        process.nextTick(() => callback?.(null));
        return true;
      },
    });
    rr.attach(1, child as unknown as ChildProcess);
    const watch = backlogs();
    try {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve, reject) => {
          const client = net.connect(listeners[0].info.port!, '127.0.0.1', resolve);
          client.on('error', reject);
          clients.push(client);
        });
      }
      // Nobody serves yet: the manager accepted both, and they wait. Then the child serves.
      await watch.reached(2);
      child.emit('message', { ppiServing: 0 });
      await watch.reached(3);
    } finally {
      watch.off();
    }
    expect(watch.seen.map((m) => [m.waiting, m.listener, m.manager])).toEqual([
      [1, 0, 3],
      [2, 0, 3],
      [0, 0, 3],
    ]);
  });
});
