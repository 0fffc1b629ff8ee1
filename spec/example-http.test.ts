import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, ROOT } from './support/run';
import { ask } from './support/control';

function getText(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      })
      .on('error', reject);
  });
}

test('examples/http-server.ts: recycles children after their requests, reloads on HUP, stops on TERM, counts every request', async () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(manifest.scripts['example:http']).toBe('npm run build && node --require tsx/cjs examples/http-server.ts');
  const tmp = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-http-'));
  const pidFile = path.join(tmp, 'app.pid');
  const controlSocket = path.join(tmp, 'app.ctl');
  const p = start(['--require', 'tsx/cjs', path.join(ROOT, 'examples', 'http-server.ts')], {
    command: process.execPath,
    env: { ...process.env, PORT: '0', WORKERS: '2', MAX_REQS: '10', MIN_REQS: '10', SPAWN_INTERVAL: '200', PID_FILE: pidFile, CONTROL_SOCKET: controlSocket },
  });
  await p.waitForEvents('spawn', 2);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(p.stdout())![1]);
  const managerPid = Number(readFileSync(pidFile, 'utf8'));
  // The socket listens from the first child's listen() on (the manager binds it but never accepts): until then, retry.
  const statuses: number[] = [];
  for (let i = 0; i < 100 && statuses.length === 0; i++) {
    const status = await get(port).catch(() => undefined);
    if (status === undefined) await new Promise((r) => setTimeout(r, 50));
    else statuses.push(status);
  }
  for (let i = 0; i < 49; i++) statuses.push(await get(port));
  process.kill(managerPid, 'SIGHUP');
  await p.waitFor((out) => out.includes('"generation":2,"workers"'));
  for (let i = 0; i < 5; i++) statuses.push(await get(port));
  // The scoreboard and the metrics, from a child's pages and from the control socket; not counted as requests.
  const metrics = await getText(port, '/metrics');
  expect(metrics).toMatch(/^prefork_spawns_total \d+$/m);
  expect(metrics).toMatch(/^prefork_generation 2$/m);
  expect(await getText(port, '/server-status?auto')).toMatch(/^Total Accesses: \d+\nUptime: \d+\nBusyWorkers: \d+\nIdleWorkers: \d+\nScoreboard: \S+\n$/);
  const status = await ask(controlSocket, { command: 'status' });
  expect((status.result as { generation: number }).generation).toBe(2);
  process.kill(managerPid, 'SIGTERM');
  const end = await p.done;
  expect(statuses).toEqual(Array(55).fill(200));
  const reaps = end.events.filter((e) => e.event === 'reap') as Array<{ status: number; requests: number }>;
  // A child still starting when TERM comes has no handler yet and dies of it (143), having served nothing.
  // Listed whole on failure, so a bad end says which child, with what status and how many requests.
  expect(reaps.filter((reap) => !(reap.status === 0 || (reap.status === 143 && reap.requests === 0)))).toEqual([]);
  expect(reaps.filter((r) => r.requests >= 10).length).toBeGreaterThanOrEqual(4); // recycled after (about) 10 requests each: those already accepted are answered too
  expect(reaps.reduce((sum, r) => sum + r.requests, 0)).toBe(55);
  expect(end.events.at(-1)).toMatchObject({ event: 'end', total: 55, left: 0, signal: 'TERM' });
  expect(existsSync(pidFile)).toBe(false);
  expect(existsSync(controlSocket)).toBe(false);
});
