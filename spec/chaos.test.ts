/**
 * The chaos suite: faults injected into real managers and children, checking that
 * nothing is lost and nothing is left behind. Each test names the fault it injects.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its matchers are typed: the global expect's stringMatching() returns any
import fc from 'fast-check';
import { groupMembers, isAlive, run, start, waitGone } from './support/run';

const chaos = (script: string, env: Record<string, string> = {}) =>
  start([path.join('chaos', script)], { env: { ...process.env, ...env } });

const pidsOf = (events: Array<Record<string, unknown>>) => events.map((e) => e.pid as number);

describe('no child outlives its manager', () => {
  test('manager killed with SIGKILL: every child sees EOF on fd 3 and exits', async () => {
    const p = chaos('orphans.js');
    await p.waitForEvents('ready', 3);
    const children = pidsOf(p.events('ready'));
    p.child.kill('SIGKILL');
    await waitGone(children, 20_000); // at once when idle; the bound is for a loaded machine
    // They go quietly (no stack trace, no warning on the stderr they share with the test), and
    // nothing else of the manager's process group is left holding the test's pipes.
    const end = await p.done;
    expect(end.signal).toBe('SIGKILL');
    expect(end.stderr).toBe('');
    expect(groupMembers(p.child.pid!)).toEqual([]);
  });

  test("manager killed with SIGKILL: children that opt to finish their current work do so, then exit", async () => {
    const p = chaos('orphans.js', { POLICY: 'finish-work' });
    await p.waitForEvents('ready', 3);
    const children = pidsOf(p.events('ready'));
    p.child.kill('SIGKILL');
    await waitGone(children, 20_000);
    // The children held the test's stdout pipe open, so their last words arrive.
    const end = await p.done;
    expect(pidsOf(end.events.filter((e) => e.event === 'work-done')).sort()).toEqual([...children].sort());
  });

  test.each([
    ['an uncaught exception', { DEATH: 'throw' }, undefined],
    ['process.exit()', { DEATH: 'exit' }, undefined],
    ['a signal it does not trap (HUP)', {}, 'SIGHUP' as const],
  ])('manager ends by %s: it signals its children first (they ignore EOF here, so only that signal ends them)', async (_, env, signal) => {
    const p = chaos('orphans.js', { POLICY: 'ignore', ...env });
    await p.waitForEvents('ready', 3);
    const children = pidsOf(p.events('ready'));
    if (signal) p.child.kill(signal);
    await waitGone(children, 20_000);
    const end = await p.done;
    expect(end.code === null ? end.signal : end.code).toEqual(signal ?? (env.DEATH === 'exit' ? 3 : 1));
  });
});

test('a child killed with SIGKILL in the middle of a callback is reaped with 137; its reply is dropped quietly; the others go on', async () => {
  const p = chaos('mid-callback.js');
  await p.waitForEvents('handler-started', 1);
  const victim = p.events('handler-started')[0].pid as number;
  process.kill(victim, 'SIGKILL');
  const end = await p.done;
  expect(end.code).toBe(0);
  const reaps = end.events.filter((e) => e.event === 'reap');
  expect(reaps.find((e) => e.pid === victim)).toMatchObject({ status: 137, payload: null });
  expect(reaps.filter((e) => (e.payload as { n?: number } | null)?.n === 20)).toHaveLength(2);
  expect(end.stderr).not.toMatch(/EPIPE|ECONNRESET|Error/);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

describe('graceful stop with escalation', () => {
  const pool = (config: object) => start(['keep-alive.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });

  test('children that ignore the forwarded TERM get SIGKILL after gracePeriod', async () => {
    const p = pool({ options: { maxWorkers: 2, gracePeriod: 300 }, ignoreTerm: true, waitMs: 10_000 });
    await p.waitForEvents('ready', 2);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const end = await p.done;
    const elapsed = Date.now() - t0;
    expect(end.events.filter((e) => e.event === 'reap').map((e) => e.status)).toEqual([137, 137]);
    expect(end.events.at(-1)).toEqual({ event: 'waited', left: 0 });
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(5000); // not the 10 s waitAllChildren timeout
    expect(end.stderr).toMatch(/did not exit within 300 ms \(gracePeriod\) of SIGTERM; sending SIGKILL/);
  });

  test('waitAllChildren returns as soon as the last child is gone, not after the grace period', async () => {
    const p = pool({ options: { maxWorkers: 2, gracePeriod: 20_000 }, waitMs: 20_000 });
    await p.waitForEvents('ready', 2);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const end = await p.done;
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(end.events.filter((e) => e.event === 'reap').map((e) => e.status)).toEqual([143, 143]);
  });
});

test('limits: a call over maxMessageBytes fails before sending; a child flooding fd 4 is killed; memory stays bounded; others go on', async () => {
  const end = await chaos('overlong.js').done;
  expect(end.code).toBe(0);
  const reaps = end.events.filter((e) => e.event === 'reap');
  const byRole = Object.fromEntries(reaps.filter((e) => e.payload).map((e) => [(e.payload as { role: string }).role, e]));
  expect(byRole['too-big'].payload).toMatchObject({
    code: 'BAD_PAYLOAD',
    message: expect.stringMatching(/callback 'echo' was not sent: .* over maxMessageBytes \(1048576\)/),
  });
  // The limit is in bytes: a string of multi-byte characters can be over it with fewer UTF-16 units.
  expect(byRole['too-big-utf8'].payload).toMatchObject({
    code: 'BAD_PAYLOAD',
    message: expect.stringMatching(/callback 'echo' was not sent: .* over maxMessageBytes \(1048576\)/),
  });
  expect(byRole['worker'].payload).toEqual({ role: 'worker', n: 30 });
  const flooder = reaps.find((e) => !e.payload)!;
  expect(flooder.status).toBe(137);
  expect(end.stderr).toContain(`child ${flooder.pid as number} sent a line of more than 1048576 bytes (maxMessageBytes)`);
  const last = end.events.at(-1) as { left: number; peakRssMb: number };
  expect(last.left).toBe(0);
  expect(last.peakRssMb).toBeLessThan(150); // the flood was 200 MB
});

test('output is never lost: a child that writes 2 MB to stdout and calls finish() at once delivers all of it', async () => {
  const end = await chaos('stdout.js').done;
  expect(end.code).toBe(0);
  expect(end.stderr).toBe('left: 0\n');
  const count = (char: string): number => end.stdout.split(char).length - 1;
  expect(count('a')).toBe(2048 * 1023);
  expect(count('b')).toBe(2048 * 1023);
  expect(count('\n')).toBe(2 * 2048);
  expect(end.stdout.length).toBe(2 * 2048 * 1024);
});

test('no leaks: after many short child lifetimes the manager has the same open fds and a flat heap', async () => {
  // 2,000 lifetimes take about 80 s on 2 cores (Node start-up bound); CI runs 300 so the
  // suite stays within its time budget. LIFETIMES=2000 npx jest spec/chaos runs the full count.
  const lifetimes = Number(process.env.LIFETIMES ?? 300);
  const end = await run(['--expose-gc', path.join(__dirname, 'fixtures', 'chaos', 'lifetimes.js')], {
    command: process.execPath,
    env: { ...process.env, LIFETIMES: String(lifetimes) },
  });
  expect(end.code).toBe(0);
  const leaks = end.events.find((e) => e.event === 'leaks') as {
    reaped: number;
    payloadsOk: number;
    before: { fds: number; heapMb: number };
    after: { fds: number; heapMb: number };
  };
  expect(leaks.reaped).toBe(lifetimes + 20);
  expect(leaks.payloadsOk).toBe(lifetimes + 20);
  expect(leaks.after.fds).toBe(leaks.before.fds);
  expect(leaks.after.heapMb - leaks.before.heapMb).toBeLessThan(5);
}, 180_000);

test('property: arbitrary JSON values round-trip unchanged through a callback and a final payload', async () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 100_000);
  const generated = fc.sample(fc.jsonValue({ maxDepth: 6 }), { numRuns: 300, seed });
  const nested: unknown[] = [];
  let deep: unknown[] = nested;
  for (let i = 0; i < 500; i++) deep.push((deep = [] as unknown[]));
  const edges = [
    '\ud800', 'lone low \udfff', 'pair 😀', '\u2028\u2029', '', '\u0000\u001f"\\/',
    Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, 5e-324, -0.1,
    nested,
    JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": 1}') as unknown,
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'ppi-roundtrip-'));
  const file = path.join(dir, 'values.json');
  const values = [...edges, ...generated];
  writeFileSync(file, JSON.stringify(values));
  const end = await chaos('roundtrip.js', { VALUES: file }).done;
  expect(end.code).toBe(0);
  const done = end.events.find((e) => e.event === 'done');
  expect({ seed, ...done }).toEqual({ seed, event: 'done', status: 0, received: values.length, mismatches: [], polluted: false });
  expect(end.events.filter((e) => e.event === 'child-mismatch')).toEqual([]);
});

test('signal storm: 50 HUPs back to back to a reloading manager leave no stray child and no crash', async () => {
  const p = start(['keep-alive.js'], { env: { ...process.env, CONFIG: JSON.stringify({ options: { maxWorkers: 2 } }) } });
  await p.waitForEvents('ready', 2);
  for (let i = 0; i < 50; i++) p.child.kill('SIGHUP');
  // The storm is over once a generation after it has its two children ready: the manager lived through it.
  const settled = (): boolean => {
    const latest = Math.max(...p.events('start').map((e) => e.generation as number));
    return latest > 1 && p.events('ready').filter((e) => e.generation === latest).length >= 2;
  };
  await p.waitFor(settled, 60_000, 'a generation after the storm with its 2 children ready');
  expect(p.child.exitCode).toBeNull();
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  expect(end.events.at(-1)).toEqual({ event: 'waited', left: 0 });
  const spawned = pidsOf(end.events.filter((e) => e.event === 'afterFork'));
  const reaped = pidsOf(end.events.filter((e) => e.event === 'reap'));
  expect([...reaped].sort()).toEqual([...spawned].sort());
  expect(spawned.filter(isAlive)).toEqual([]);
});
