/** Listening sockets shared with every child (the `listen` option), ppi.serve(), pidFile and the EADDRINUSE trap. */
import { existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES, run, start, type Running } from './support/run';

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-servers-'));

function pool(config: object, extra: { env?: NodeJS.ProcessEnv; stdio?: unknown[] } = {}): Running {
  return start(['http-pool.js'], {
    env: { ...process.env, ...extra.env, CONFIG: JSON.stringify(config) },
    ...(extra.stdio ? { stdio: extra.stdio as never } : {}),
  });
}

function get(port: number, agent = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

function portOf(p: Running): number {
  const listening = p.events('listening')[0] as { listeners: Array<{ port: number }> };
  return listening.listeners[0].port;
}

test('listen: the manager opens the socket once; both children accept on it, the manager never does', async () => {
  const p = pool({});
  await p.waitForEvents('ready', 2);
  await p.waitForEvents('listening', 1);
  const port = portOf(p);
  const managerPid = (p.events('listening')[0] as { pid: number }).pid;
  expect(port).toBeGreaterThan(0);
  const ready = p.events('ready') as Array<{ pid: number; fd: number; listeners: unknown[] }>;
  expect(ready.map((r) => r.fd)).toEqual([5, 5]);
  // The manager reports the real port it was given for port 0.
  expect(ready[0].listeners).toEqual([{ address: `127.0.0.1:${port}`, host: '127.0.0.1', port }]);
  const children = new Set(ready.map((r) => r.pid));
  const answers = await Promise.all(Array.from({ length: 20 }, () => get(port)));
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    const pid = Number(answer.body.split(' ')[1]);
    expect(children.has(pid)).toBe(true);
    expect(pid).not.toBe(managerPid);
  }
  // A reload keeps the port: the new generation answers on the same one.
  p.child.kill('SIGHUP');
  await p.waitForEvents('ready', 4);
  // A gated reload tells the old children only once the new ones are ready: wait until both are gone
  // (a CI run caught an old child still accepting in between).
  await p.waitForEvents('reap', 2);
  expect((await get(port)).body).toMatch(/^ok \d+ 2\n$/);
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  // serve() finished every child with its request count as the final payload.
  const reaps = end.events.filter((e) => e.event === 'reap') as Array<{ status: number; payload: { count: number } }>;
  expect(reaps).toHaveLength(4);
  for (const reap of reaps) expect(reap.status).toBe(0);
  expect(reaps.reduce((sum, r) => sum + r.payload.count, 0)).toBe(21);
});

test('a port in use fails start() with an error naming the address, before any child is spawned', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as net.AddressInfo;
  try {
    const end = await run(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ options: { listen: [{ port, host: '127.0.0.1' }] } }) } });
    expect(end.events.filter((e) => e.event === 'spawn')).toEqual([]);
    const error = end.events.find((e) => e.event === 'error') as { message: string };
    expect(error.message).toBe(`PreforkIPC option 'listen': cannot listen on 127.0.0.1:${port}: EADDRINUSE (address already in use)`);
  } finally {
    holder.close();
  }
});

test('a bad address fails start() naming it; a bad listen option fails the constructor', async () => {
  const end = await run(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ options: { listen: [{ port: 0, host: '192.0.2.1' }] } }) } });
  expect(end.events.filter((e) => e.event === 'spawn')).toEqual([]);
  expect((end.events.find((e) => e.event === 'error') as { message: string }).message).toMatch(
    /^PreforkIPC option 'listen': cannot listen on 192\.0\.2\.1:0: EADDRNOTAVAIL/,
  );
  const bad = await run(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ options: { listen: [{ port: 70000 }] } }) } });
  expect(bad.stderr).toMatch(/PreforkIPC option 'listen\[0\]\.port' must be a port number 0–65535, got 70000/);
});

test('a Unix socket: a regular file at the path fails start() and is kept; a stale socket is replaced; a live one fails start()', async () => {
  const socketPath = path.join(dir, 'app.sock');
  writeFileSync(socketPath, 'not mine'); // a mistyped path: never deleted
  const refused = await run(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ options: { listen: [{ path: socketPath }] } }) } });
  expect((refused.events.find((e) => e.event === 'error') as { message: string }).message).toBe(
    `PreforkIPC option 'listen': cannot listen on ${socketPath}: a regular file is there, not a socket: remove it or choose another path`,
  );
  expect(readFileSync(socketPath, 'utf8')).toBe('not mine');
  unlinkSync(socketPath);
  // A socket left by a server that was SIGKILLed: nothing listens (ECONNREFUSED), so it is removed.
  const dead = await run(['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`], { command: process.execPath });
  expect(dead.signal).toBe('SIGKILL');
  expect(existsSync(socketPath)).toBe(true);
  const p = pool({ options: { listen: [{ path: socketPath }] } });
  await p.waitForEvents('ready', 2);
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ socketPath, path: '/' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  expect(body).toMatch(/^ok \d+ 1\n$/);
  // While it runs, a second manager on the same path is refused.
  const second = await run(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ options: { listen: [{ path: socketPath }] } }) } });
  expect((second.events.find((e) => e.event === 'error') as { message: string }).message).toBe(
    `PreforkIPC option 'listen': cannot listen on ${socketPath}: a server is answering on it`,
  );
  p.child.kill('SIGTERM');
  await p.done;
  expect(existsSync(socketPath)).toBe(false); // removed when the manager exits
});

/** A listening socket made by this test process, handed to the fixture at fd 3 as a supervisor would. */
async function supervisorSocket(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

test.each([
  ['server-starter', (port: number) => ({ SERVER_STARTER_PORT: `127.0.0.1:${port}=3` })],
  ['systemd', () => ({ LISTEN_FDS: '1' })],
])("listen: '%s' takes the supervisor's socket from fd 3", async (mode, env) => {
  const { server, port } = await supervisorSocket();
  const config = JSON.stringify({ options: { listen: mode } });
  // systemd names the pid it meant: the shell's pid is node's after exec.
  const p =
    mode === 'systemd'
      ? start(['-c', `LISTEN_PID=$$ exec "${process.execPath}" "${path.join(FIXTURES, 'http-pool.js')}"`], {
          command: '/bin/sh',
          env: { ...process.env, ...env(port), CONFIG: config },
          stdio: ['ignore', 'pipe', 'pipe', (server as unknown as { _handle: object })._handle as never],
        })
      : pool({ options: { listen: mode } }, { env: env(port), stdio: ['ignore', 'pipe', 'pipe', (server as unknown as { _handle: object })._handle] });
  server.close(); // the fixture holds the socket now; this process stops accepting on it
  await p.waitForEvents('ready', 2);
  const ready = p.events('ready')[0] as { listeners: Array<{ port: number }> };
  expect(ready.listeners[0].port).toBe(port);
  expect((await get(port)).body).toMatch(/^ok \d+ 1\n$/);
  p.child.kill('SIGTERM');
  expect((await p.done).events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('a child that listen()s on a port its manager holds, without the listen option, is told about it', async () => {
  const end = await run(['addr-in-use.js']);
  expect(end.stderr).toMatch(/\[PREFORK_IPC\] Warning: this child's listen\(\) on 127\.0\.0\.1:\d+ failed with EADDRINUSE: .*'listen' option/);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('pidFile: the manager writes its own pid, and removes the file when it exits', async () => {
  const pidFile = path.join(dir, 'app.pid');
  const p = pool({ options: { pidFile } });
  await p.waitForEvents('ready', 2);
  const managerPid = (p.events('listening')[0] as { pid: number }).pid;
  expect(readFileSync(pidFile, 'utf8')).toBe(`${managerPid}\n`);
  process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
  await p.done;
  expect(existsSync(pidFile)).toBe(false);
});

test('serve(): a request in flight when TERM arrives is answered, marked Connection: close; an idle keep-alive connection is closed; then the child finishes', async () => {
  // Answers take 2 s: the TERM, sent once the child has the request, lands while it is in flight.
  const p = pool({ delayMs: 2000, announceRequests: true, options: { maxWorkers: 1 } });
  await p.waitForEvents('ready', 1);
  await p.waitForEvents('listening', 1);
  const port = portOf(p);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  try {
    // An idle keep-alive connection: one answered request, then nothing.
    const idle = await new Promise<net.Socket>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket!));
      });
      req.on('error', reject);
    });
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    // A slow request, in flight when the stop begins.
    const slow = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent: new http.Agent({ keepAlive: true }) }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
        })
        .on('error', reject);
    });
    await p.waitForEvents('request', 2); // the idle connection's request, then the slow one: in flight now
    p.child.kill('SIGTERM');
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.connection).toBe('close');
    expect(answer.body).toMatch(/^ok \d+ 1\n$/);
    await idleClosed; // by the server, once idle past idleCloseMs: not left to the client
    const end = await p.done;
    const reaps = end.events.filter((e) => e.event === 'reap') as Array<{ status: number; payload: { count: number } }>;
    expect(reaps).toEqual([expect.objectContaining({ status: 0, payload: { count: 2 } })]);
    expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  } finally {
    agent.destroy();
  }
});
