import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publish } from '../../../lib/manager/events';
import {
  findExecutable,
  notifyWanted,
  statusLine,
  STATUS_INTERVAL_MS,
  SystemdNotifier,
  watchdogInterval,
  type NotifySender,
  type SystemdPool,
} from '../../../lib/manager/systemd';

/** A sender that keeps what it was given, each with the time it was sent. */
function recorder(): NotifySender & { sent: Array<{ datagram: string; at: number }>; closed: boolean } {
  const sent: Array<{ datagram: string; at: number }> = [];
  return {
    name: 'recorder',
    sent,
    closed: false,
    send(datagram) {
      sent.push({ datagram, at: Date.now() });
    },
    close() {
      this.closed = true;
    },
  };
}

function pool(ready = 0, maxWorkers = 2): SystemdPool & { ready: number; readyCalls: number } {
  return {
    ready,
    readyCalls: 0,
    maxWorkers,
    generation: 1,
    get numWorkers() {
      return this.ready;
    },
    readyCount() {
      this.readyCalls++;
      return this.ready;
    },
  };
}

/** Resolves once `check()` holds; polls every 5 ms for at most `ms` (a test helper, not library code). */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const at = (): number => Date.now();
/** This notifier's manager id: events of another manager (channels are process-global) are not its business. */
const M = 7;
const lines = (sender: ReturnType<typeof recorder>): string[] => sender.sent.map((s) => s.datagram);

describe('notifyWanted', () => {
  let emitWarning: jest.SpiedFunction<typeof process.emitWarning>;
  const warnings = (): unknown[] => emitWarning.mock.calls.map((call) => call[0]);
  beforeEach(() => {
    emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  });
  afterEach(() => emitWarning.mockRestore());

  test("'auto' without NOTIFY_SOCKET: off, and silent", () => {
    expect(notifyWanted('auto', {})).toBe(false);
    expect(warnings()).toEqual([]);
  });

  test('true without NOTIFY_SOCKET: off, with a warning naming NOTIFY_SOCKET', () => {
    expect(notifyWanted(true, {})).toBe(false);
    expect(warnings()).toEqual([expect.stringContaining('NOTIFY_SOCKET is not set')]);
  });

  test('a socket that is neither a path nor @abstract: off, with a warning quoting it', () => {
    expect(notifyWanted('auto', { NOTIFY_SOCKET: 'vsock:2:1234' })).toBe(false);
    expect(warnings()).toEqual([expect.stringContaining('"vsock:2:1234"')]);
  });

  test.each([['/run/systemd/notify'], ['@abstract-name']])('%s: on', (address) => {
    expect(notifyWanted('auto', { NOTIFY_SOCKET: address })).toBe(true);
    expect(notifyWanted(true, { NOTIFY_SOCKET: address })).toBe(true);
    expect(notifyWanted(false, { NOTIFY_SOCKET: address })).toBe(false);
    expect(notifyWanted(undefined, { NOTIFY_SOCKET: address })).toBe(false);
  });
});

test('watchdogInterval: half of WATCHDOG_USEC in ms, only for this pid', () => {
  expect(watchdogInterval({ WATCHDOG_USEC: '3000000' }, 42)).toBe(1500);
  expect(watchdogInterval({ WATCHDOG_USEC: '3000000', WATCHDOG_PID: '42' }, 42)).toBe(1500);
  expect(watchdogInterval({ WATCHDOG_USEC: '3000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
  expect(watchdogInterval({ WATCHDOG_USEC: '1' }, 42)).toBe(1);
  for (const bad of [undefined, '', '0', '-5', 'soon', '1.5']) expect(watchdogInterval({ WATCHDOG_USEC: bad }, 42)).toBeUndefined();
});

test('findExecutable: the first executable of that name on the path, skipping a file that is not executable', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ppi-which-'));
  try {
    const [a, b] = ['a', 'b'].map((name) => path.join(dir, name));
    for (const sub of [a, b]) mkdirSync(sub);
    writeFileSync(path.join(a, 'tool'), '', { mode: 0o644 });
    writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findExecutable('tool', [a, b].join(path.delimiter))).toBe(path.join(b, 'tool'));
    expect(findExecutable('tool', a)).toBeUndefined();
    expect(findExecutable('tool', undefined)).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('statusLine: one line with ready/maxWorkers, running and generation', () => {
  const p = pool(1, 4);
  expect(statusLine(p, '')).toBe('1/4 workers ready, 1 running, generation 1');
  expect(statusLine(p, 'reloading')).toBe('reloading: 1/4 workers ready, 1 running, generation 1');
});

describe('SystemdNotifier', () => {
  let notifier: SystemdNotifier | undefined;
  afterEach(() => notifier?.close());

  test('READY=1 once maxWorkers children are ready, not before; then a reload and a stop', async () => {
    const p = pool(0, 2);
    const sender = recorder();
    notifier = new SystemdNotifier(p, sender, undefined, M);
    p.ready = 1;
    publish('spawn', { pid: 1, generation: 1, manager: M, at: at() });
    await until(() => p.readyCalls >= 2);
    expect(lines(sender).filter((l) => l.includes('READY=1'))).toEqual([]);

    p.ready = 2;
    publish('reload', { step: 'begin', generation: 1, manager: M + 1, at: at() }); // another pool's
    publish('stop', { signal: 'TERM', generation: 1, manager: M + 1, at: at() });
    expect(lines(sender).filter((l) => !l.startsWith('STATUS='))).toEqual([]);
    publish('spawn', { pid: 2, generation: 1, manager: M, at: at() });
    await until(() => lines(sender).some((l) => l.startsWith('READY=1')));
    expect(lines(sender).find((l) => l.startsWith('READY=1'))).toBe('READY=1\nSTATUS=2/2 workers ready, 2 running, generation 1');

    const before = process.hrtime.bigint() / 1000n;
    publish('reload', { step: 'begin', generation: 1, manager: M, at: at() });
    const after = process.hrtime.bigint() / 1000n;
    const reloading = lines(sender).at(-1)!.split('\n');
    expect(reloading[0]).toBe('RELOADING=1');
    const usec = BigInt(reloading[1].replace(/^MONOTONIC_USEC=/, ''));
    expect(usec >= before && usec <= after).toBe(true);
    expect(reloading[2]).toMatch(/^STATUS=reloading: /);

    publish('reload', { step: 'failed', generation: 2, manager: M, at: at(), reason: 'rolled back' });
    expect(lines(sender).at(-1)).toMatch(/^READY=1\nSTATUS=2\/2 workers ready/);

    publish('stop', { signal: 'TERM', generation: 2, manager: M, at: at() });
    expect(lines(sender).at(-1)).toMatch(/^STOPPING=1\nSTATUS=stopping: /);
    const count = sender.sent.length;
    publish('reload', { step: 'done', generation: 2, manager: M, at: at() });
    expect(sender.sent.length).toBe(count); // nothing after STOPPING=1

    notifier.close();
    notifier = undefined;
    expect(sender.closed).toBe(true);
  });

  test(`STATUS changes are coalesced: at most one per ${STATUS_INTERVAL_MS} ms, with the latest numbers`, async () => {
    const p = pool(0, 1);
    const sender = recorder();
    notifier = new SystemdNotifier(p, sender, undefined, M);
    p.ready = 1;
    publish('ready', { pid: 1, generation: 1, manager: M, at: at() });
    await until(() => sender.sent.length === 1);
    const readyAt = sender.sent[0].at;
    for (let i = 0; i < 20; i++) {
      p.ready = i % 2; // flaps
      publish(i % 2 ? 'spawn' : 'exit', { pid: 1, generation: 1, code: 0, signal: null, manager: M, at: at() });
      await new Promise((r) => setImmediate(r));
    }
    p.ready = 0;
    publish('exit', { pid: 1, generation: 1, code: 0, signal: null, manager: M, at: at() });
    await until(() => sender.sent.length >= 2);
    const status = sender.sent[1];
    expect(status.datagram).toBe('STATUS=0/1 workers ready, 0 running, generation 1');
    expect(status.at - readyAt).toBeGreaterThanOrEqual(STATUS_INTERVAL_MS - 5);
    await new Promise((r) => setTimeout(r, 50)); // a second STATUS would follow at once if the throttle had let two through
    expect(sender.sent.length).toBe(2);
  });

  test('WATCHDOG=1 every interval while at least one child is ready, none while none is', async () => {
    const p = pool(0, 1);
    const sender = recorder();
    notifier = new SystemdNotifier(p, sender, 5, M);
    await until(() => p.readyCalls >= 10); // the watchdog looked ten times
    expect(lines(sender).filter((l) => l === 'WATCHDOG=1')).toEqual([]);
    p.ready = 1;
    await until(() => lines(sender).filter((l) => l === 'WATCHDOG=1').length >= 3);
  });
});
