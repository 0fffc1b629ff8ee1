/**
 * Readiness (docs/servers.md, "Readiness"): a serve() child is ready once it
 * listens, a child listening on its own once it calls ppi.ready(); one that is
 * not ready within readyTimeout is stopped and reaped as 'not-ready'.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getBody } from './support/http';
import { start, type Running } from './support/run';

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-readiness-'));

function pool(config: object): Running {
  return start(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ watch: true, ...config }) } });
}

type Ev = { event: string; channel?: string; pid?: number; reason?: string };
const evs = (p: Running, channel: string): Ev[] => (p.events('ev') as Ev[]).filter((e) => e.channel === channel);

test.each([
  ['serve()', {}],
  ['its own listen() and ppi.ready()', { plainListen: true }],
  ["its own server.listen(ppi.listeners[0]) alone (Perl's way; readiness 'auto' notices it)", { plainListen: 'alone' }],
] as const)(
  'a child listening with %s is ready, after which it answers',
  async (_how, extra) => {
    const p = pool({ ...extra, options: { maxWorkers: 2 } });
    await p.waitFor(() => evs(p, 'ready').length === 2, 30_000, 'two ready events');
    const spawned = evs(p, 'spawn').map((e) => e.pid).sort();
    expect(evs(p, 'ready').map((e) => e.pid).sort()).toEqual(spawned);
    const port = (p.events('listening')[0] as { listeners: Array<{ port: number }> }).listeners[0].port;
    expect(await getBody(port)).toMatch(/^ok \d+ 1\n$/);
    p.child.kill('SIGTERM');
    const end = await p.done;
    expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  },
);

test("a child that never serves is stopped after readyTimeout and reaped as 'not-ready'; the pool spawns another", async () => {
  const modeFile = path.join(dir, 'hang');
  writeFileSync(modeFile, 'hang');
  const p = pool({ modeFile, options: { maxWorkers: 1, readyTimeout: 800, gracePeriod: 1000 } });
  await p.waitForEvents('reap', 1);
  const [reap] = p.events('reap') as Array<{ pid: number; reason: string }>;
  expect(reap.reason).toBe('not-ready');
  expect(evs(p, 'ready')).toEqual([]);
  await p.waitFor(() => evs(p, 'spawn').length >= 2, 30_000, 'a second spawn');
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  // Read once the process is gone: stderr is a pipe of its own, and may trail stdout's events.
  expect(end.stderr).toContain('was not ready within 800 ms (readyTimeout)');
});

test("readiness: 'explicit': a child's own listen() alone does not make it ready; it is stopped as 'not-ready'", async () => {
  const p = pool({ plainListen: 'alone', options: { maxWorkers: 1, readiness: 'explicit', readyTimeout: 1500, gracePeriod: 1000 } });
  await p.waitForEvents('reap', 1);
  const [reap] = p.events('reap') as Array<{ reason: string }>;
  expect(reap.reason).toBe('not-ready');
  expect(evs(p, 'ready')).toEqual([]);
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
