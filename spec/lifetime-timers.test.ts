/** A lifetime's timers (lifetimeTimeout, the gracePeriod SIGKILL after an abort) die with it. */
import { expectBehaviour } from './support/behaviour';
import { start } from './support/run';

type Reap = { event: 'reap'; pid: number; status: number; payload: { n: number; aborted: boolean; outcome?: string; reason: string | null }; info: { reason: string } };

test("reused lifetimes that end before lifetimeTimeout leave no timer: none aborts a later lifetime, and the manager exits at once after waitAllChildren()", async () => {
  const p = start(['lifetime-timers.js']);
  await p.waitForEvents('end', 1, 60_000);
  // A leftover gracePeriod timer (30 s by default, armed by the cancel) would hold the manager that long.
  const EXIT_BOUND_MS = 10_000;
  const endSeen = Date.now();
  let bound: NodeJS.Timeout | undefined;
  const exited = await Promise.race([p.done.then(() => true), new Promise<false>((resolve) => (bound = setTimeout(() => resolve(false), EXIT_BOUND_MS)))]);
  clearTimeout(bound);
  const exitMs = Date.now() - endSeen;
  const reaps = p.events('reap') as Reap[];
  expect(reaps.map((r) => r.payload.n)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  expect(new Set(reaps.map((r) => r.pid)).size).toBe(1); // one process served them all
  expectBehaviour('lifetime 1 is cancelled by cancel(pid, reason), and finishes', () =>
    expect(reaps[0].payload).toMatchObject({ aborted: true, reason: expect.stringContaining('cancelled on purpose') as unknown }),
  );
  const abortedLater = reaps.slice(1).filter((r) => r.payload.aborted).map((r) => `lifetime ${r.payload.n}: ${r.payload.reason}`);
  expectBehaviour("a later lifetime of the same child was aborted by an earlier lifetime's lifetimeTimeout (a timer outlived its lifetime)", () =>
    expect(abortedLater).toEqual([]),
  );
  for (const reap of reaps) expect(reap.info.reason).toBe('finished');
  expect(p.events().at(-1)).toMatchObject({ event: 'end', left: 0 });
  expectBehaviour(`the manager lingered over ${EXIT_BOUND_MS / 1000} s after waitAllChildren() resolved: an ended lifetime's gracePeriod timer kept it alive`, () =>
    expect({ exited, exitMs }).toEqual({ exited: true, exitMs: expect.any(Number) as unknown }),
  );
  expect((await p.done).code).toBe(0);
});
