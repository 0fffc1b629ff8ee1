import net from 'node:net';
import { start } from './support/run';

function pool(config: object) {
  return start(['keep-alive.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

function inspectorAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(9229, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

test('HUP mapped to TERM ends the generation and starts a new one; USR1 mapped to null only returns from start()', async () => {
  const p = pool({ options: { maxWorkers: 2 } });
  await p.waitForEvents('ready', 2);
  const firstGeneration = p.events('ready').map((e) => e.pid);

  p.child.kill('SIGHUP');
  await p.waitForEvents('ready', 4);
  expect(p.events('started-returned')[0]).toMatchObject({ signal: 'HUP' });
  const reaps = p.events('reap');
  expect(reaps.map((e) => e.pid).sort()).toEqual([...firstGeneration].sort());
  expect(reaps.every((e) => e.status === 143)).toBe(true);
  const second = p.events('ready').slice(2);
  expect(second.every((e) => e.generation === 2)).toBe(true);

  // USR1: start() returns and the loop starts generation 3, but the two children of generation 2
  // still count towards maxWorkers, so nothing is signalled and nothing new is spawned.
  p.child.kill('SIGUSR1');
  await p.waitFor((out) => out.includes('"event":"start","generation":3'));
  await new Promise((r) => setTimeout(r, 200));
  expect(p.events('started-returned')[1]).toMatchObject({ signal: 'USR1', numWorkers: 2 });
  expect(p.events('reap')).toHaveLength(2);
  expect(p.events('afterFork')).toHaveLength(4);
  // Our listener keeps Node from opening its inspector on SIGUSR1.
  expect(p.stderr()).not.toMatch(/Debugger listening/);
  expect(await inspectorAnswers()).toBe(false);

  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  expect(end.events.at(-1)).toEqual({ event: 'waited', left: 0 });
  expect(end.events.filter((e) => e.event === 'reap')).toHaveLength(4);
});

test('signalReceived is \'\' again once start() begins: generation 2 sees it so in beforeFork and in its callbacks', async () => {
  const p = pool({ options: { maxWorkers: 2 } });
  await p.waitForEvents('ready', 2);
  p.child.kill('SIGHUP');
  await p.waitForEvents('ready', 4);
  // HUP did set it, and start() returned with it …
  expect(p.events('started-returned')[0]).toMatchObject({ signal: 'HUP' });
  // … and the next start() cleared it before its first spawn, as the docs and Perl say.
  const forks = p.events('beforeFork');
  expect(forks.length).toBeGreaterThanOrEqual(4);
  expect(forks.map((e) => e.signalReceived)).toEqual(forks.map(() => ''));
  const secondGeneration = p.events('ready').filter((e) => e.generation === 2);
  expect(secondGeneration).toHaveLength(2);
  expect(secondGeneration.map((e) => e.signalReceived)).toEqual(['', '']);
  p.child.kill('SIGTERM');
  expect((await p.done).code).toBe(0);
});

test('[signal, interval] forwards the signal to one child at a time', async () => {
  // 600 ms apart, checked against 400: a reap comes a child's exit time after its signal,
  // and on a loaded machine that time varies by more than 50 ms (248 ms was seen against 300).
  const p = pool({ options: { maxWorkers: 3, trapSignals: { TERM: ['SIGTERM', 600] } } });
  await p.waitForEvents('ready', 3);
  p.child.kill('SIGTERM');
  const end = await p.done;
  const times = end.events.filter((e) => e.event === 'reap').map((e) => e.t as number);
  expect(times).toHaveLength(3);
  expect(times[1] - times[0]).toBeGreaterThanOrEqual(400);
  expect(times[2] - times[1]).toBeGreaterThanOrEqual(400);
});

test('waitAllChildren(timeout) resolves with the number still running; signalAllChildren reaches them all', async () => {
  const p = pool({ options: { maxWorkers: 3 }, ignoreTerm: true, waitMs: 500 });
  await p.waitForEvents('ready', 3);
  const t0 = Date.now();
  p.child.kill('SIGTERM');
  const end = await p.done;
  const events = end.events.filter((e) => ['waited', 'killed'].includes(e.event as string));
  expect(events).toEqual([
    { event: 'waited', left: 3 },
    { event: 'killed', reached: 3 },
    { event: 'waited', left: 0 },
  ]);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
  expect(end.events.filter((e) => e.event === 'reap').every((e) => e.status === 137)).toBe(true);
});

test('signals given with or without the SIG prefix mean the same', async () => {
  const p = pool({ options: { maxWorkers: 1, trapSignals: { SIGTERM: 'term', hup: null } } });
  await p.waitForEvents('ready', 1);
  p.child.kill('SIGHUP');
  await p.waitFor('"signal":"HUP"');
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  expect(end.events.filter((e) => e.event === 'reap').map((e) => e.status)).toEqual([143]);
});

test('a trapped signal that arrives while waitAllChildren() waits is forwarded to the children too', async () => {
  // TERM ends the loop without touching the children; INT, sent during the wait, is mapped to TERM.
  const p = pool({ options: { maxWorkers: 2, trapSignals: { TERM: null, INT: 'TERM' } }, waitMs: 10_000 });
  await p.waitForEvents('ready', 2);
  p.child.kill('SIGTERM');
  await p.waitFor('"event":"started-returned"');
  await new Promise((r) => setTimeout(r, 200));
  expect(p.events('reap')).toEqual([]);
  const t0 = Date.now();
  p.child.kill('SIGINT');
  const end = await p.done;
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(end.events.filter((e) => e.event === 'reap').map((e) => e.status)).toEqual([143, 143]);
  expect(end.events.at(-1)).toEqual({ event: 'waited', left: 0 });
});
