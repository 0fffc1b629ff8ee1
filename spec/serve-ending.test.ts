/** How ppi.serve() ends a child: maxRequests (exactly N, none failed), the server closed by the application, the loop-shaped port. */
import http from 'node:http';
import { start, type Running } from './support/run';

function pool(config: object): Running {
  return start(['serve-ending.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

interface Reap {
  pid: number;
  status: number;
  payload: { count: number } | null;
  info: { reason: string; served?: { stop: string; requests: number } };
}

/** One request on `agent`; resolves with the answering pid, or the error's code (a failed request). */
function get(port: number, agent: http.Agent): Promise<{ pid?: number; failed?: string; connection?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ pid: Number(body.split(' ')[1]), connection: res.headers.connection }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ failed: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ failed: err.code ?? err.message }));
  });
}

/**
 * `total` requests from `clients` keep-alive clients at once, each on a connection of its own
 * (a fresh one when told Connection: close), each sending its next request as soon as the last is answered.
 */
async function load(port: number, clients: number, total: number): Promise<{ answered: number; failed: string[] }> {
  let left = total;
  let answered = 0;
  const failed: string[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (left > 0) {
          left--;
          const answer = await get(port, agent);
          if (answer.failed) failed.push(answer.failed);
          else answered++;
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return { answered, failed };
}

test('serve({ maxRequests }): each child serves exactly N requests under 20 concurrent keep-alive connections, none fails, and says why it ended', async () => {
  const p = pool({ serve: { maxRequests: 50, idleCloseMs: 10_000 } });
  await p.waitForEvents('ready', 1);
  const port = (p.events('ready')[0] as { port: number }).port;
  const { answered, failed } = await load(port, 20, 210);
  expect(failed).toEqual([]);
  expect(answered).toBe(210);
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const reaps = end.events.filter((e) => e.event === 'reap') as unknown as Reap[];
  // 4 children end at the limit, having served exactly 50; the fifth served the last 10 and ended on TERM
  // (10 requests + its 20 connections stay below 50, so it never sees its limit coming). Its successor is
  // started early (replacement first, docs/servers.md): the TERM ends it too, perhaps before it served.
  const limited = reaps.filter((r) => r.info.served?.stop === 'maxRequests');
  expect(limited.map((r) => [r.status, r.info.reason, r.info.served!.requests, r.payload!.count])).toEqual(Array(4).fill([0, 'finished', 50, 50]));
  const last = reaps.filter((r) => r.info.served?.stop !== 'maxRequests');
  const served = last.filter((r) => r.info.served);
  for (const r of served) expect([r.status, r.info.served!.stop]).toEqual([0, 'signal']);
  expect(served.reduce((sum, r) => sum + r.info.served!.requests, 0)).toBe(10);
  for (const r of last.filter((r) => !r.info.served)) expect(r.info.reason).toBe('killed');
  expect(last.length).toBeLessThanOrEqual(2);
  expect(end.stderr).toBe('');
}, 120_000);

test('serve({ maxRequests, maxRequestsJitter }): each child ends after N to N + jitter requests', async () => {
  const p = pool({ serve: { maxRequests: 10, maxRequestsJitter: 10, idleCloseMs: 10_000 } });
  await p.waitForEvents('ready', 1);
  const port = (p.events('ready')[0] as { port: number }).port;
  const { answered, failed } = await load(port, 4, 120);
  expect(failed).toEqual([]);
  expect(answered).toBe(120);
  p.child.kill('SIGTERM');
  const end = await p.done;
  const reaps = end.events.filter((e) => e.event === 'reap') as unknown as Reap[];
  // No child served more than 20. Every child but the last two ended at its limit, 10 to 20: the
  // clients stop when their 120 requests are done, which may leave one child draining with its
  // connections' last requests never sent (it ends short of its limit), and the next one idle.
  // A successor started early (replacement first) that the final TERM ended while it was starting
  // served nothing and has no `served`; one that was ready may have served the last few requests.
  const early = reaps.filter((r) => !r.info.served);
  for (const r of early) expect(r.info.reason).toBe('killed');
  const serving = reaps.filter((r) => r.info.served);
  for (const r of serving) expect(r.info.served!.requests).toBeLessThanOrEqual(20);
  const limited = serving.slice(0, early.length > 0 ? -2 : -3).map((r) => [r.info.served!.stop, r.info.served!.requests] as const);
  expect(limited.length).toBeGreaterThanOrEqual(4); // 120 requests, at most 20 per child
  for (const [stop, n] of limited) {
    expect(stop).toBe('maxRequests');
    expect(n).toBeGreaterThanOrEqual(10);
  }
  // A successor started early (replacement first) and ended by the final TERM while starting served none.
  expect(reaps.reduce((sum, r) => sum + (r.info.served?.requests ?? 0), 0)).toBe(120);
}, 120_000);

test('serve(): a server the application closes itself ends serving: the child finishes, with its final payload and no warning', async () => {
  const p = pool({ closeAfter: 2 });
  await p.waitForEvents('ready', 1);
  const port = (p.events('ready')[0] as { port: number }).port;
  const agent = new http.Agent({ keepAlive: false });
  const first = (await get(port, agent)).pid;
  expect(first).toBeGreaterThan(0);
  expect((await get(port, agent)).pid).toBe(first); // the second closes its server
  await p.waitForEvents('ready', 2); // the replacement
  p.child.kill('SIGTERM');
  const end = await p.done;
  const reaps = end.events.filter((e) => e.event === 'reap') as unknown as Reap[];
  expect([reaps[0].pid, reaps[0].status, reaps[0].payload]).toEqual([first, 0, { count: 2 }]);
  expect([reaps[0].info.reason, reaps[0].info.served]).toEqual(['finished', { stop: 'closed', requests: 2 }]);
  expect(end.stderr).toBe('');
}, 60_000);

test('the loop-shaped port (while … { if (await ppi.start()) continue; await ppi.serve(server) }) serves: start() in a serving child waits for the end of serving', async () => {
  const p = pool({ options: { maxWorkers: 2 } });
  await p.waitForEvents('ready', 2);
  const port = (p.events('ready')[0] as { port: number }).port;
  const agent = new http.Agent({ keepAlive: false });
  for (let i = 0; i < 10; i++) expect((await get(port, agent)).failed).toBeUndefined();
  p.child.kill('SIGTERM');
  const end = await p.done;
  // No child crash-looped: the two first are the only ones, and both ended gracefully on TERM.
  expect(end.events.filter((e) => e.event === 'spawn')).toHaveLength(2);
  const reaps = end.events.filter((e) => e.event === 'reap') as unknown as Reap[];
  expect(reaps.map((r) => [r.status, r.info.served?.stop])).toEqual([
    [0, 'signal'],
    [0, 'signal'],
  ]);
  expect(reaps.reduce((sum, r) => sum + r.payload!.count, 0)).toBe(10);
  expect(end.stderr).toBe('');
}, 60_000);

test("a TERM during a child's start-up that the application's own SIGTERM listener swallows still stops serve(): the child finishes at once, status 0, instead of serving until gracePeriod", async () => {
  const p = pool({ earlyHandler: true, serveDelayMs: 2000 });
  await p.waitForEvents('child-started', 1);
  const began = Date.now();
  p.child.kill('SIGTERM'); // forwarded to the child while it is still loading
  const end = await p.done;
  const reaps = end.events.filter((e) => e.event === 'reap') as unknown as Reap[];
  expect(end.events.filter((e) => e.event === 'user-handler')).toHaveLength(1); // the application saw it too
  expect(reaps.map((r) => [r.status, r.info.reason, r.info.served])).toEqual([[0, 'finished', { stop: 'signal', requests: 0 }]]);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  expect(Date.now() - began).toBeLessThan(15_000); // gracePeriod is 20 s: not waited for
}, 60_000);

test('a TERM during start-up without any listener ends the child with status 143 (Node\'s default): the documented window', async () => {
  const p = pool({ serveDelayMs: 2000 });
  await p.waitForEvents('child-started', 1);
  p.child.kill('SIGTERM');
  const end = await p.done;
  const reaps = end.events.filter((e) => e.event === 'reap') as unknown as Reap[];
  expect(reaps.map((r) => [r.status, r.info.reason])).toEqual([[143, 'killed']]);
}, 60_000);
