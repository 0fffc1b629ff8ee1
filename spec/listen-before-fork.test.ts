/**
 * The manager's sockets listen before the first child exists (listen-first.ts): a connection
 * made while the pool is still starting waits in the kernel's queue instead of being refused.
 */
import http from 'node:http';
import { start, type Running } from './support/run';

function pool(config: object): Running {
  return start(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

function get(port: number): Promise<{ status?: number; pid?: number; failed?: string }> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 60_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode, pid: Number(body.split(' ')[1]) }));
      })
      .on('error', (err: NodeJS.ErrnoException) => resolve({ failed: err.code ?? err.message }));
  });
}

test('a connection made before any child listens is queued and answered, not refused; prints the first-request latency after start', async () => {
  const began = Date.now();
  // Children take 1.5 s before they listen (an application loading).
  const p = pool({ serveDelayMs: 1500, options: { maxWorkers: 1 } });
  try {
    await p.waitForEvents('spawn', 1, 30_000);
    await p.waitForEvents('listening', 1);
    const spawnedAt = Date.now();
    const port = (p.events('listening')[0] as { listeners: Array<{ port: number }> }).listeners[0].port;
    const managerPid = (p.events('listening')[0] as { pid: number }).pid;
    const answer = await get(port);
    const answeredAt = Date.now();
    expect(answer.status).toBe(200);
    const childPid = (p.events('spawn')[0] as { pid: number }).pid;
    expect([answer.pid, answer.pid === managerPid]).toEqual([childPid, false]); // the child answered, once it served
    console.log(
      `listen before fork: manager start → first spawn ${spawnedAt - began} ms; a request sent then was answered ${answeredAt - spawnedAt} ms later ` +
        `(the child waits 1500 ms before serve()); without listen-first it was refused (ECONNREFUSED)`,
    );
  } finally {
    p.child.kill('SIGTERM');
    await p.done;
  }
}, 60_000);

test('first-request latency after start, children serving at once (printed)', async () => {
  const began = Date.now();
  const p = pool({ options: { maxWorkers: 2 } });
  try {
    await p.waitForEvents('spawn', 1, 30_000);
    await p.waitForEvents('listening', 1);
    const spawnedAt = Date.now();
    const port = (p.events('listening')[0] as { listeners: Array<{ port: number }> }).listeners[0].port;
    expect((await get(port)).status).toBe(200);
    console.log(`first request after start: manager start → first spawn ${spawnedAt - began} ms, → first answer ${Date.now() - began} ms`);
  } finally {
    p.child.kill('SIGTERM');
    await p.done;
  }
}, 60_000);
