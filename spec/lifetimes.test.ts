/** Children that serve several lifetimes (issue 10): hooks, retirement, timeouts, cancel, messages. */
import { run } from './support/run';

type Info = { reason: string; exitCode: number | null; signal: string | null; lifetime: number; error?: Record<string, unknown> };
/** What the fixture's children put in their final payloads (each case sets some of these). */
interface Payload {
  workerData: number;
  lifetime: number;
  maxWorkers: number;
  pid: number;
  n: number;
  generation: number;
  message: unknown;
}
type Reap = { event: 'reap'; pid: number; status: number; payload: Payload; info: Info };

const lifetimes = (name: string, env: Record<string, string> = {}) => run(['lifetimes.js'], { env: { ...process.env, CASE: name, ...env } });
const reaps = (events: Array<Record<string, unknown>>): Reap[] => events.filter((e) => e.event === 'reap') as Reap[];

test('each lifetime is one child to the hooks: beforeFork → its own workerData, afterFork, onChildReap with the finish() code', async () => {
  const end = await lifetimes('hooks');
  expect(end.code).toBe(0);
  const forks = end.events.filter((e) => e.event === 'fork') as Array<{ pid: number; n: number }>;
  const reaped = reaps(end.events);
  expect(forks.map((f) => f.n)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(reaped).toHaveLength(6);
  expect(reaped.map((r) => r.payload.workerData).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  for (const reap of reaped) {
    // The lifetime reaped is the one afterFork announced for this pid with this workerData.
    expect(forks).toContainEqual({ event: 'fork', pid: reap.pid, n: reap.payload.workerData });
    expect(reap.payload.pid).toBe(reap.pid);
    expect(reap.payload.lifetime).toBe(reap.info.lifetime);
    expect(reap.status).toBe(reap.info.lifetime === 2 ? 7 : 0);
    expect(reap.info).toEqual({ reason: 'finished', exitCode: reap.status, signal: null, lifetime: reap.payload.lifetime });
    if (reap.payload.workerData < 6) expect(reap.payload.maxWorkers).toBe(2);
  }
  // Fewer processes than lifetimes, none serving more than lifetimesPerChild (3).
  const perPid = new Map<number, number>();
  for (const reap of reaped) perPid.set(reap.pid, (perPid.get(reap.pid) ?? 0) + 1);
  expect(perPid.size).toBeLessThan(6);
  for (const count of perPid.values()) expect(count).toBeLessThanOrEqual(3);
  // Each lifetime printed 20,000 x's; retired children flushed them before exiting.
  expect(end.stdout.match(/x{20000}\n/g)).toHaveLength(6);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('start(fn) works with reuse: fn runs per lifetime, and a finish() inside it ends that lifetime', async () => {
  const end = await lifetimes('start-fn');
  expect(end.code).toBe(0);
  const reaped = reaps(end.events);
  expect(reaped.map((r) => [r.status, r.payload, r.info.lifetime])).toEqual([
    [4, { n: 1, lifetime: 1 }, 1],
    [0, null, 2],
    [4, { n: 3, lifetime: 3 }, 3],
    [0, null, 4],
  ]);
  expect(new Set(reaped.map((r) => r.pid)).size).toBe(1);
});

test('lifetimesPerChild 2 + lifetimesJitter 3: every retired process served 2 to 5 lifetimes, and exited 0', async () => {
  const end = await lifetimes('jitter');
  expect(end.code).toBe(0);
  const stopping = end.events.findIndex((e) => e.event === 'stopping');
  // Exits before the stop are retirements for having served their limit.
  const retired = end.events.slice(0, stopping).filter((e) => e.event === 'exit') as Array<{ code: number; lifetimes: number }>;
  expect(retired.length).toBeGreaterThanOrEqual(8);
  for (const exit of retired) {
    expect(exit.code).toBe(0);
    expect(exit.lifetimes).toBeGreaterThanOrEqual(2);
    expect(exit.lifetimes).toBeLessThanOrEqual(5);
  }
  expect(new Set(retired.map((e) => e.lifetimes)).size).toBeGreaterThan(1); // the jitter spreads them
});

test('lowering maxWorkers retires reused children at the end of their lifetime instead of giving them another', async () => {
  const end = await lifetimes('lower');
  expect(end.code).toBe(0);
  const after = end.events.filter((e) => e.event === 'fork' && e.lowered) as Array<{ pid: number }>;
  expect(after.length).toBeGreaterThanOrEqual(25);
  // Once the surplus is retired, a single process serves every lifetime.
  expect(new Set(after.slice(-20).map((f) => f.pid)).size).toBe(1);
});

test('a reused child never crosses a reload; send()/on("message") reach children on both sides of it', async () => {
  const end = await lifetimes('reload');
  expect(end.code).toBe(0);
  // The manager stops after 4 reaps per generation; a child whose finish() was already on its way
  // when the TERM went out is reaped after it (finished), the others end by the TERM.
  const stopAt = end.events.findIndex((e) => e.event === 'stop' && e.signal === 'TERM');
  expect(stopAt).toBeGreaterThan(-1);
  const before = reaps(end.events.slice(0, stopAt));
  const after = reaps(end.events.slice(stopAt));
  expect(before.map((r) => r.info.reason)).toEqual(Array(8).fill('finished'));
  expect(after.length).toBeLessThanOrEqual(2); // at most the pool (maxWorkers 2) had a lifetime open then
  for (const reap of after) {
    if (reap.info.reason !== 'finished') expect(reap.info).toMatchObject({ reason: 'killed', signal: 'SIGTERM' });
  }
  const finished = reaps(end.events).filter((r) => r.info.reason === 'finished');
  const generationOf = new Map<number, number>();
  for (const reap of finished) {
    const { message, generation } = reap.payload;
    expect(message).toEqual({ to: reap.pid, generation }); // the message sent to this pid for this lifetime
    expect(generationOf.get(reap.pid) ?? generation).toBe(generation);
    generationOf.set(reap.pid, generation);
  }
  expect(new Set(generationOf.values())).toEqual(new Set([1, 2]));
  const last = end.events.at(-1) as { left: number; sendToGone: boolean[] };
  expect(last.left).toBe(0);
  expect(last.sendToGone.length).toBeGreaterThan(0);
  expect(last.sendToGone.every((sent) => sent === false)).toBe(true); // send() to a child that is gone
});

test('maxChildMemory retires a child whose RSS after a lifetime is over it', async () => {
  const end = await lifetimes('memory');
  expect(end.code).toBe(0);
  const reaped = reaps(end.events).map((r) => ({ pid: r.pid, n: r.payload.n, lifetime: r.info.lifetime }));
  expect(reaped.map((r) => r.n)).toEqual([1, 2, 3, 4]);
  // The first process allocated 200 MB in its second lifetime (n = 2) and was retired; a fresh one took n = 3.
  expect(reaped[1]).toMatchObject({ pid: reaped[0].pid, lifetime: 2 });
  expect(reaped[2]).toMatchObject({ lifetime: 1 });
  expect(reaped[2].pid).not.toBe(reaped[0].pid);
  expect(reaped[3]).toMatchObject({ pid: reaped[2].pid, lifetime: 2 });
});

describe.each([
  ['reused children', '1'],
  ['a process per lifetime', '0'],
])('lifetimeTimeout and cancel(), %s', (_, reuse) => {
  test('lifetimeTimeout aborts a cooperative lifetime, and SIGKILLs one that ignores its abortSignal (137, timeout)', async () => {
    const end = await lifetimes('timeout', { REUSE: reuse });
    expect(end.code).toBe(0);
    const [cooperative, ignoring] = reaps(end.events);
    expect(cooperative).toMatchObject({
      status: 3,
      payload: { failure: 'AbortError', name: 'TimeoutError', aborted: true },
      info: { reason: 'finished', exitCode: 3 },
    });
    expect(ignoring).toMatchObject({ status: 137, payload: null, info: { reason: 'timeout', exitCode: null, signal: 'SIGKILL' } });
    expect(ignoring.info.lifetime).toBe(reuse === '1' ? 2 : 1);
    expect(end.stderr).toMatch(/did not finish lifetime \d within 400 ms \(gracePeriod\) of its abort \(timeout\); sending SIGKILL/);
  });

  test('cancel(pid, reason) aborts that lifetime only; cancel() of an unknown pid is false', async () => {
    const end = await lifetimes('cancel', { REUSE: reuse });
    expect(end.code).toBe(0);
    expect(end.events.filter((e) => e.event === 'cancelled')).toEqual([
      { event: 'cancelled', result: true, unknown: false },
      { event: 'cancelled', result: true, unknown: false },
    ]);
    for (const reap of reaps(end.events)) {
      expect(reap.payload).toMatchObject({ name: 'AbortError', message: expect.stringContaining('enough') as unknown });
      expect(reap.info.reason).toBe('finished');
    }
  });
});
