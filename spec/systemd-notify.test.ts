/**
 * The `systemd` option against a real Unix datagram socket: python3's socket
 * module binds it and prints what arrives (spec/fixtures/systemd/notify-socket.py),
 * standing in for systemd. Each sender (systemd-notify, python3) is tested alone
 * by giving the manager a PATH that holds only it; with neither, a warning.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, pickSender } from '../lib/manager/systemd';
import { FIXTURES, start, type Running } from './support/run';

const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const SYSTEMD_NOTIFY = findExecutable('systemd-notify', process.env.PATH);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ppi-systemd-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH holding only these programs (symlinks in a folder of their own). */
function pathWith(programs: Record<string, string>): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, target] of Object.entries(programs)) symlinkSync(target, path.join(bin, name));
  return bin;
}

/** The stand-in for systemd: resolves once it is bound. */
async function notifySocket(): Promise<{ socket: string; listener: Running; datagrams: () => Array<Record<string, unknown>> }> {
  const socket = path.join(dir, 'notify.sock');
  const listener = start([path.join(FIXTURES, 'systemd', 'notify-socket.py'), socket], { command: PYTHON });
  await listener.waitForEvents('bound', 1);
  // systemd-notify follows each message with a BARRIER=1 of its own (it waits until systemd has read it): not ours.
  return { socket, listener, datagrams: () => listener.events('datagram').filter((d) => d.raw !== 'BARRIER=1') };
}

const fields = (d: Record<string, unknown>): Record<string, string> => d.fields as Record<string, string>;

const senders: Array<{ name: string; programs: () => Record<string, string>; skip?: string }> = [
  {
    name: 'systemd-notify',
    programs: () => ({ 'systemd-notify': SYSTEMD_NOTIFY! }),
    skip: SYSTEMD_NOTIFY ? undefined : 'skipped: systemd-notify is not installed on this machine (the python3 variant still runs)',
  },
  { name: 'python3', programs: () => ({ python3: PYTHON }) },
];

describe.each(senders)('sender $name', ({ name, programs, skip }) => {
  const maybe = skip ? test.skip : test;

  maybe(`sends each datagram whole and in order${skip ? ` (${skip})` : ''}`, async () => {
    const { socket, datagrams } = await notifySocket();
    const sender = pickSender({ NOTIFY_SOCKET: socket, PATH: pathWith(programs()) })!;
    expect(sender.name).toBe(name);
    sender.send('READY=1\nSTATUS=2/2 workers ready, generation 1');
    sender.send('WATCHDOG=1');
    sender.send('STOPPING=1');
    const deadline = Date.now() + 20_000;
    while (datagrams().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sender.close();
    expect(datagrams().map((d) => d.raw)).toEqual([
      'READY=1\nSTATUS=2/2 workers ready, generation 1',
      'WATCHDOG=1',
      'STOPPING=1',
    ]);
  });

  maybe(`a pool: READY=1, WATCHDOG=1, RELOADING=1 at a HUP and READY=1 after it, STOPPING=1 at TERM${skip ? ` (${skip})` : ''}`, async () => {
    const { socket, datagrams } = await notifySocket();
    const pool = start(['systemd/pool.js'], {
      env: { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '300000', PATH: pathWith(programs()) },
    });
    const waitForDatagram = async (match: (f: Record<string, string>) => boolean, after = 0, label = 'a datagram'): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const found = datagrams().slice(after).find((d) => match(fields(d)));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${label}; got ${JSON.stringify(datagrams().map((d) => d.raw))}\nstderr: ${pool.stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitForDatagram((f) => f.READY === '1', 0, 'READY=1');
    await pool.waitForEvents('child', 2);
    // The children do not inherit NOTIFY_SOCKET: one calling sd_notify would speak for the service.
    expect(pool.events('child').map((e) => [e.notifySocket, e.watchdog])).toEqual([
      [null, null],
      [null, null],
    ]);
    await waitForDatagram((f) => f.WATCHDOG === '1', 0, 'WATCHDOG=1');

    const beforeHup = datagrams().length;
    pool.child.kill('SIGHUP');
    const reloading = await waitForDatagram((f) => f.RELOADING === '1', beforeHup, 'RELOADING=1');
    const usec = Number(fields(reloading).MONOTONIC_USEC);
    // CLOCK_MONOTONIC in µs, taken before the datagram arrived and not long before.
    expect(usec).toBeLessThanOrEqual(reloading.monotonicUsec as number);
    expect(usec).toBeGreaterThan((reloading.monotonicUsec as number) - 30_000_000);
    const index = datagrams().indexOf(datagrams().find((d) => d === reloading) ?? reloading);
    await waitForDatagram((f) => f.READY === '1', Math.max(index, beforeHup) + 1, 'READY=1 after the reload');
    await pool.waitForEvents('child', 4);

    const beforeTerm = datagrams().length;
    pool.child.kill('SIGTERM');
    const stopping = await waitForDatagram((f) => f.STOPPING === '1', beforeTerm, 'STOPPING=1');
    expect(fields(stopping).STATUS).toMatch(/^stopping: \d+\/2 workers ready, \d+ running, generation 2$/);
    const end = await pool.done;
    expect(end.code).toBe(0);
    expect(end.events.find((e) => e.event === 'end')).toEqual({ event: 'end', left: 0 });
  });
});

test('neither systemd-notify nor python3 on PATH: a warning that says so, and the pool runs without', async () => {
  const { socket, datagrams } = await notifySocket();
  const pool = start(['systemd/pool.js'], { env: { ...process.env, NOTIFY_SOCKET: socket, PATH: pathWith({}) } });
  await pool.waitForEvents('child', 2);
  pool.child.kill('SIGTERM');
  const end = await pool.done;
  expect(end.code).toBe(0);
  expect(end.stderr).toContain('neither systemd-notify nor python3 is on PATH');
  expect(datagrams()).toEqual([]);
});

test("systemd: 'auto' without NOTIFY_SOCKET sends nothing and says nothing", async () => {
  const env = { ...process.env };
  delete env.NOTIFY_SOCKET;
  const pool = start(['systemd/pool.js'], { env });
  await pool.waitForEvents('child', 2);
  pool.child.kill('SIGTERM');
  const end = await pool.done;
  expect(end.code).toBe(0);
  expect(end.stderr).not.toContain('systemd');
});
