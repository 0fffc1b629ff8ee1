/**
 * Hung children (issue 20): a child whose beat stops for hangTimeout is killed, with its
 * JavaScript stack read over the inspector first; a slow but healthy child is never touched.
 * Real processes; the stack capture works on Node 20, 22 and 24 (scripts/hang-capture-probe.js).
 */
import { run } from './support/run';

jest.setTimeout(60_000);

type Reap = {
  pid: number;
  status: number;
  payload: unknown;
  at: number;
  info: {
    reason: string;
    signal: string | null;
    stack?: { frames: Array<{ function: string; file: string; line: number; column: number }>; note?: string; captureMs: number };
  };
};

const hangs = (name: string, env: Record<string, string> = {}) => run(['hangs.js'], { env: { ...process.env, CASE: name, ...env } });

function outcome(events: Array<Record<string, unknown>>): { fork: { pid: number; at: number }; reap: Reap } {
  const forks = events.filter((e) => e.event === 'fork') as unknown as Array<{ pid: number; at: number }>;
  const reaps = events.filter((e) => e.event === 'reap') as unknown as Reap[];
  expect(forks).toHaveLength(1);
  expect(reaps).toHaveLength(1);
  return { fork: forks[0], reap: reaps[0] };
}

test(`a child spinning in while (true) {} is reaped 'hung', within hangTimeout + 2 s, with a stack naming the function (Node ${process.version})`, async () => {
  const end = await hangs('spin', { HANG: '1500' });
  expect(end.code).toBe(0);
  const { fork, reap } = outcome(end.events);
  expect(reap.pid).toBe(fork.pid);
  expect(reap).toMatchObject({ status: 137, info: { reason: 'hung', signal: 'SIGKILL' } });
  // Its last beat came before it began to spin: the reap follows within hangTimeout + 2 s.
  const spinning = end.events.find((e) => e.event === 'spinning') as { at: number };
  expect(reap.at - spinning.at).toBeLessThan(1500 + 2000);
  const stack = reap.info.stack!;
  expect(stack.note).toBeUndefined();
  expect(stack.frames[0]).toMatchObject({ function: 'spinForever' });
  expect(stack.frames[0].file).toMatch(/spec\/fixtures\/hangs\.js$/);
  expect(stack.frames[0].line).toBeGreaterThan(0);
  expect(stack.captureMs).toBeLessThan(1500);
  // The warning names the pid and the top frame.
  expect(end.stderr).toMatch(new RegExp(`child ${reap.pid} \\(slot 0\\) is hung: no beat for 1500 ms \\(hangTimeout\\); sending SIGKILL; top frame spinForever \\(.*hangs\\.js:\\d+:\\d+\\)`));
});

test('a child whose code listens for SIGUSR1 is still killed as hung, with a note that no stack could be taken', async () => {
  const end = await hangs('trap-usr1', { HANG: '1500' });
  expect(end.code).toBe(0);
  const { reap } = outcome(end.events);
  expect(reap).toMatchObject({ status: 137, info: { reason: 'hung', signal: 'SIGKILL' } });
  expect(reap.info.stack!.frames).toEqual([]);
  expect(reap.info.stack!.note).toMatch(/^no stack: no inspector answered .* may listen for SIGUSR1/);
  expect(end.stderr).toMatch(new RegExp(`child ${reap.pid} \\(slot 0\\) is hung: .*; no stack: `));
});

test('a child busy for 10 × hangTimeout in asynchronous work is never called hung', async () => {
  // 10 s of timers and fs calls against hangTimeout 1 s (counted from spawn: a shorter one would
  // leave a loaded machine's child start-up too little room before its first beat).
  const end = await hangs('slow-async', { HANG: '1000', JOB: '10000' });
  expect(end.code).toBe(0);
  const { fork, reap } = outcome(end.events);
  expect(reap).toMatchObject({ status: 0, info: { reason: 'finished' } });
  expect((reap.payload as { turns: number }).turns).toBeGreaterThan(5);
  expect(reap.at - fork.at).toBeGreaterThanOrEqual(10_000);
  expect(end.stderr).not.toMatch(/is hung/);
});
