/** A child that misbehaves towards the manager costs itself, never the manager or its siblings. */
import { expect } from '@jest/globals';
import path from 'node:path';
import { FIXTURES, run } from './support/run';

jest.setTimeout(60_000);

const scenarios = (names: string, env: NodeJS.ProcessEnv = {}) =>
  run(['buggy-child.js'], { env: { ...process.env, ...env, SCENARIOS: names } });

test('an error reply longer than maxMessageBytes (a long handler error, a long unknown name) fails the call with the message cut short; the child lives on', async () => {
  const end = await scenarios('oversize');
  expect(end.code).toBe(0);
  const reap = end.events.find((e) => e.event === 'reap') as { status: number; payload: Record<string, Record<string, unknown>> };
  expect(reap.status).toBe(0);
  const { longError, longName, after } = reap.payload;
  expect(longError).toMatchObject({ code: 'HANDLER_ERROR', message: expect.stringMatching(/^callback 'longError' failed in the manager: xxx.*cut to fit maxMessageBytes; the whole message was \d+ characters\)$/) });
  expect(longError.length).toBeLessThan(64 * 1024);
  expect(longName).toMatchObject({ code: 'UNKNOWN_CALLBACK', message: expect.stringMatching(/^no callback named 'nnnn.*' \(a name of 65436 characters\) in the manager \(defined: 'echo', .*'longError'\)$/) });
  expect(after).toEqual({ value: 'still here' });
});

test("a child whose fd 4 is closed: callback() rejects with a CallbackError naming the closed channel, instead of hanging", async () => {
  const end = await scenarios('closedFd4');
  expect(end.code).toBe(0);
  const seen = end.events.find((e) => e.event === 'closed-fd4');
  const failure = { code: 'CHANNEL_CLOSED', message: expect.stringMatching(/^callback 'echo' was not sent: this child's channel to the manager \(fd 4\) is closed/) };
  expect(seen).toMatchObject({ first: failure, second: failure });
  // finish() still ended the process, with its code; the payload could not travel.
  expect(end.events.find((e) => e.event === 'reap')).toMatchObject({ status: 7, payload: '<none>' });
});

test('100,000 malformed lines from one child: a few warnings, then counts of the suppressed ones; the child is still served', async () => {
  const end = await scenarios('malformed');
  expect(end.code).toBe(0);
  const reap = end.events.find((e) => e.event === 'reap') as { pid: number; status: number; payload: unknown };
  expect(reap).toMatchObject({ status: 0, payload: { after: { value: 'after 100,000 bad lines' } } });
  const shown = end.stderr.split(`child ${reap.pid} sent a malformed message, dropped: not JSON`).length - 1;
  const counts = [...end.stderr.matchAll(new RegExp(`(\\d+) more malformed messages from child ${reap.pid} were not shown \\(at most 10 warnings per 10 s\\)`, 'g'))].map((m) => Number(m[1]));
  // Every window shows at most 10; the suppressed are all counted, none twice.
  expect(shown).toBeGreaterThanOrEqual(10);
  expect(shown).toBeLessThanOrEqual(10 * (counts.length + 1));
  expect(counts.length).toBeGreaterThanOrEqual(1);
  expect(shown + counts.reduce((a, b) => a + b, 0)).toBe(100_000);
});

test('a child firing 10,000 calls without awaiting them: the manager reads no more than maxCallsInFlight at a time, its memory stays bounded, and a sibling keeps being served', async () => {
  // maxCallsInFlight 1000 (the default is 4096), calls of 8 KB each, answered 1 s after they arrive:
  // unbounded, the manager held all 10,000 at once (≈ 88 MB live heap, RSS +146 MB); bounded ≈ 15 MB and +55 MB.
  const end = await run([path.join(FIXTURES, 'buggy-child.js')], {
    command: process.execPath,
    env: { ...process.env, SCENARIOS: 'flood,steady', FLOOD: '10000', HOLD_MS: '1000', MAX_CALLS: '1000', NODE_OPTIONS: '--expose-gc' },
  });
  expect(end.code).toBe(0);
  const reaps = end.events.filter((e) => e.event === 'reap') as Array<{ status: number; payload: Record<string, number> }>;
  expect(reaps.map((r) => r.status)).toEqual([0, 0]);
  const flooder = reaps.find((r) => 'fulfilled' in r.payload)!;
  const steady = reaps.find((r) => 'during' in r.payload)!;
  // Every call was answered in the end: the bound delays calls, it never drops one.
  expect(flooder.payload.fulfilled).toBe(10_000);
  const manager = end.events.find((e) => e.event === 'manager') as Record<string, number>;
  expect(manager.answered).toBe(10_000);
  // The bound, plus at most the calls of one read already under way when reading stopped (8 KB lines: a few).
  expect(manager.mostInFlight).toBeGreaterThanOrEqual(1000);
  expect(manager.mostInFlight).toBeLessThan(1000 + 100);
  expect(manager.mostLiveHeap).toBeGreaterThan(0); // sampled (after a full collection) while the flood ran
  expect(manager.mostLiveHeap).toBeLessThan(40 * 1024 * 1024);
  expect(manager.mostRss - manager.startRss).toBeLessThan(100 * 1024 * 1024);
  // The sibling was answered all along, not only after the flood, and never waited long.
  expect(steady.payload.during).toBeGreaterThan(10);
  expect(steady.payload.slowest).toBeLessThan(10_000);
}, 120_000);
