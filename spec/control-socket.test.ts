/** The controlSocket option and `prefork-ipc ctl` (issue 19): every command against a real manager, and bad input. */
import { lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES, ROOT, run, start, type Finished, type Running } from './support/run';
import { ask, askUntil, parseExposition, valueOf } from './support/control';
import type { PoolStatus } from '../lib/view';

const BIN = path.join(ROOT, 'bin', 'prefork-ipc.js');
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-ctl-'));
let sockets = 0;

function pool(config: Record<string, unknown> = {}): { p: Running; socket: string } {
  const socket = path.join(dir, `ctl-${++sockets}.sock`);
  const p = start(['observe.js'], {
    env: { ...process.env, CONFIG: JSON.stringify({ socket, mode: 'states', states: [['idle']], ...config }) },
  });
  return { p, socket };
}

function ctl(...args: string[]): Promise<Finished> {
  return run([BIN, 'ctl', ...args], { command: process.execPath });
}

function statusOf(reply: Record<string, unknown>): PoolStatus {
  return reply.result as PoolStatus;
}

async function readyPool(config: Record<string, unknown> = {}, workers = 2): Promise<{ p: Running; socket: string }> {
  const made = pool(config);
  await made.p.waitForEvents('ready', workers);
  await askUntil(made.socket, { command: 'status' }, (r) => (statusOf(r).children.filter((c) => c.phase === 'ready').length === workers ? true : undefined));
  return made;
}

test('ctl status, --json, metrics, config, listeners: the table, the reply as it came, the exposition; the socket is mode 0600', async () => {
  const { p, socket } = await readyPool();
  expect(lstatSync(socket).mode & 0o777).toBe(0o600);
  const table = await ctl('--socket', socket, 'status');
  expect(table.code).toBe(0);
  const lines = table.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^manager \d+ {2}generation 1 {2}maxWorkers 2 {2}busy 0 {2}idle 2 {2}starting 0 {2}stopping 0 {2}served 0$/);
  expect(lines[1].split(/\s+/)).toEqual(['slot', 'pid', 'gen', 'phase', 'state', 'note', 'served', 'elu', 'rss', 'age']);
  expect(lines.slice(2)).toHaveLength(2);
  for (const row of lines.slice(2)) expect(row).toMatch(/^[01] +\d+ +1 +ready +idle +0 +\d+% +[\d.]+ MB +\d+s$/);
  expect(lines.slice(2).map((row) => row.split(/\s+/)[0]).sort()).toEqual(['0', '1']);

  const json = await ctl('--socket', socket, '--json', 'status');
  expect(json.code).toBe(0);
  const reply = JSON.parse(json.stdout) as { ok: boolean; result: PoolStatus };
  expect(reply.ok).toBe(true);
  expect(reply.result.children.map((c) => c.pid).sort()).toEqual(lines.slice(2).map((l) => Number(l.split(/\s+/)[1])).sort());

  const metrics = await ctl('--socket', socket, 'metrics');
  expect(metrics.code).toBe(0);
  const samples = parseExposition(metrics.stdout);
  expect(valueOf(samples, 'prefork_workers', { state: 'idle' })).toBe(2);
  expect(valueOf(samples, 'prefork_generation')).toBe(1);
  expect(valueOf(samples, 'prefork_callbacks_total', { name: 'ready', result: 'ok' })).toBe(2);

  const config = await ctl('--socket', socket, 'config');
  expect(config.code).toBe(0);
  expect(JSON.parse(config.stdout)).toMatchObject({ maxWorkers: 2, beatInterval: 100, callbacks: ['ready', 'did', 'total', 'fail'], gracePeriod: 5000 });
  const listeners = await ctl('--socket', socket, 'listeners');
  expect(JSON.parse(listeners.stdout)).toEqual([]);
  p.child.kill('SIGTERM');
  await p.done;
});

test('ctl add, remove, kill (--hard), cancel, send: each acts on the pool; pids not of this pool are refused', async () => {
  const { p, socket } = await readyPool();
  const added = await ctl('--socket', socket, 'add', '2');
  expect(JSON.parse(added.stdout)).toEqual({ maxWorkers: 4 });
  await p.waitForEvents('spawn', 4);
  const removed = await ctl('--socket', socket, 'remove');
  expect(JSON.parse(removed.stdout)).toEqual({ maxWorkers: 3 });
  await p.waitForEvents('reap', 1);

  const ready = await askUntil(socket, { command: 'status' }, (r) => {
    const s = statusOf(r);
    const live = s.children.filter((c) => c.phase === 'ready');
    return live.length === 3 && s.stopping === 0 ? live : undefined;
  });
  const [a, b, c] = ready.map((child) => child.pid);
  const killed = await ctl('--socket', socket, 'kill', String(a));
  expect(JSON.parse(killed.stdout)).toEqual({ pid: a, signal: 'SIGTERM', sent: true });
  const hard = await ctl('--socket', socket, 'kill', String(b), '--hard');
  expect(JSON.parse(hard.stdout)).toEqual({ pid: b, signal: 'SIGKILL', sent: true });
  await p.waitFor((out) => [a, b].every((pid) => out.includes(`"event":"reap","pid":${pid}`)), 20_000, 'both reaps');
  const reaps = p.events('reap') as Array<{ pid: number; reason: string; status: number }>;
  expect(reaps.find((r) => r.pid === a)).toMatchObject({ reason: 'killed', status: 128 + 15 });
  expect(reaps.find((r) => r.pid === b)).toMatchObject({ reason: 'killed', status: 128 + 9 });

  const cancelled = await ctl('--socket', socket, 'cancel', String(c), 'maintenance');
  expect(JSON.parse(cancelled.stdout)).toEqual({ pid: c, cancelled: true });
  const sent = await ctl('--socket', socket, 'send', String(c), '{"hello":[1,2]}');
  expect(JSON.parse(sent.stdout)).toEqual({ pid: c, sent: true });

  // Only this manager's children: never a way to signal another process.
  const managerPid = (p.events('listening')[0] as { pid: number }).pid;
  for (const pid of [managerPid, 1, process.pid]) {
    const refused = await ctl('--socket', socket, 'kill', String(pid));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`kill failed: kill: ${pid} is not a child of this manager`);
  }
  const badN = await ask(socket, { command: 'add', n: 0 });
  expect(badN).toEqual({ ok: false, error: 'add: n must be a whole number ≥ 1, got 0' });
  const noMessage = await ask(socket, { command: 'send', pid: c });
  expect(noMessage).toEqual({ ok: false, error: 'send: message is missing (any JSON value)' });
  p.child.kill('SIGTERM');
  await p.done;
});

test('ctl reload --wait answers once the new generation is ready; a reload that fails exits 1 with the cause', async () => {
  const { p, socket } = await readyPool();
  const reloaded = await ctl('--socket', socket, 'reload', '--wait');
  expect(reloaded.stderr).toBe('');
  expect(reloaded.code).toBe(0);
  expect(JSON.parse(reloaded.stdout)).toEqual({ reloaded: true, generation: 2 });
  const after = statusOf(await ask(socket, { command: 'status' }));
  expect(after.children.filter((c) => c.generation === 2 && c.phase === 'ready')).toHaveLength(2);
  expect(after.children.filter((c) => c.generation === 1)).toHaveLength(0);
  p.child.kill('SIGTERM');
  await p.done;

  // A real bad deploy: generation 2 throws before it is ready; the gated reload rolls back after two attempts.
  const failing = await readyPool({ failReload: true, options: { gatedReload: true, readiness: 'explicit', reloadAttempts: 2 } });
  const failed = await ctl('--socket', failing.socket, 'reload', '--wait');
  expect(failed.code).toBe(1);
  expect(failed.stderr).toMatch(/reload failed: reload to generation 2 abandoned after 2 failed attempts: child \d+ crashed: Error: the new generation cannot start: config is broken; the children of the older generation keep serving/);
  // The old generation still serves.
  const kept = statusOf(await ask(failing.socket, { command: 'status' }));
  expect(kept.children.filter((c) => c.generation === 1 && c.phase === 'ready')).toHaveLength(2);
  const metrics = parseExposition((await ask(failing.socket, { command: 'metrics' })).result as string);
  expect(valueOf(metrics, 'prefork_reloads_total', { result: 'failed' })).toBe(1);
  failing.p.child.kill('SIGTERM');
  await failing.p.done;
});

test('ctl stop --wait answers once every child has exited; afterwards the manager is unreachable (exit 3)', async () => {
  const { p, socket } = await readyPool();
  const stopped = await ctl('--socket', socket, 'stop', '--wait');
  expect(stopped.code).toBe(0);
  expect(JSON.parse(stopped.stdout)).toEqual({ stopped: true });
  const end = await p.done;
  expect(end.events.find((e) => e.event === 'end')).toMatchObject({ left: 0 });
  const gone = await ctl('--socket', socket, 'status');
  expect(gone.code).toBe(3);
  expect(gone.stderr).toMatch(/cannot reach the manager at .*: (ENOENT|ECONNREFUSED)/);
});

test('bad input: unknown command, malformed JSON, an oversized line, a silent client, a client gone mid-reply; the socket goes on serving', async () => {
  const { p, socket } = await readyPool();
  const unknown = await ctl('--socket', socket, 'restart');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('restart failed: unknown command "restart" (commands: status, metrics, add, remove, kill, cancel, send, reload, stop, config, listeners)');
  const usage = await ctl('status');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('--socket PATH is required');
  const badSend = await ctl('--socket', socket, 'send', '1', '{oops');
  expect(badSend.code).toBe(2);
  expect(badSend.stderr).toContain('send: the message is not JSON');

  expect(await ask(socket, '{"command": "status"\n')).toEqual({ ok: false, error: expect.stringMatching(/^not JSON: /) as unknown });
  expect(await ask(socket, '[1,2]\n')).toEqual({ ok: false, error: 'a request must be a JSON object like {"command":"status"}' });
  expect(await ask(socket, { command: 'status', id: 'x1' })).toMatchObject({ id: 'x1', ok: true });

  // One connection, two requests: a bad line does not end it.
  const replies = await new Promise<string[]>((resolve, reject) => {
    const c = net.connect(socket);
    let text = '';
    c.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.split('\n').length > 2) {
        c.destroy();
        resolve(text.trim().split('\n'));
      }
    });
    c.on('error', reject);
    c.write('nonsense\n{"command":"listeners","id":2}\n');
  });
  expect(JSON.parse(replies[0])).toMatchObject({ ok: false });
  expect(JSON.parse(replies[1])).toEqual({ id: 2, ok: true, result: [] });

  // A line over the limit: told so, and the connection closed; nothing held.
  const oversized = await new Promise<string>((resolve) => {
    const c = net.connect(socket);
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('error', () => {});
    c.on('close', () => resolve(text));
    c.write(Buffer.alloc(2 * 1024 * 1024, 'a'));
  });
  expect(JSON.parse(oversized.split('\n')[0])).toEqual({ ok: false, error: expect.stringMatching(/^request line longer than 1048576 bytes/) as unknown });

  // A client that connects and says nothing, and one that leaves before its reply: others are served meanwhile.
  const silent = net.connect(socket);
  silent.on('error', () => {});
  const leaver = net.connect(socket);
  leaver.on('error', () => {});
  leaver.write('{"command":"metrics"}\n', () => leaver.destroy());
  const served = await ask(socket, { command: 'status' });
  expect(statusOf(served).children).toHaveLength(2);
  silent.destroy();
  expect(p.stderr()).toBe('');
  p.child.kill('SIGTERM');
  await p.done;
});

test('controlSocket: a stale socket is replaced; a file, or a socket someone answers on, is refused by name', async () => {
  // A manager SIGKILLed leaves its socket file behind: a stale socket (connect: ECONNREFUSED).
  const sock = path.join(dir, 'killed.sock');
  const config = JSON.stringify({ socket: sock, mode: 'states', states: [['idle']] });
  const leaver = start(['observe.js'], { env: { ...process.env, CONFIG: config } });
  await leaver.waitForEvents('ready', 2);
  process.kill(-leaver.child.pid!, 'SIGKILL');
  await leaver.done;
  expect(lstatSync(sock).isSocket()).toBe(true);

  const reuse = start(['observe.js'], { env: { ...process.env, CONFIG: config } });
  await reuse.waitForEvents('ready', 2);
  expect((await ask(sock, { command: 'status' })).ok).toBe(true);

  // Someone answers on it: refused, and the running manager is undisturbed.
  const second = await run(['observe.js'], { env: { ...process.env, CONFIG: config } });
  expect(second.events.find((e) => e.event === 'error')).toMatchObject({ message: `PreforkIPC option 'controlSocket': cannot listen on ${sock}: a server is answering on it` });
  expect((await ask(sock, { command: 'status' })).ok).toBe(true);
  reuse.child.kill('SIGTERM');
  await reuse.done;

  // A regular file is never removed.
  const file = path.join(dir, 'notes.txt');
  writeFileSync(file, 'keep me');
  const refused = await run(['observe.js'], { env: { ...process.env, CONFIG: JSON.stringify({ socket: file, mode: 'states', states: [['idle']] }) } });
  expect(refused.events.find((e) => e.event === 'error')).toMatchObject({ message: `PreforkIPC option 'controlSocket': cannot listen on ${file}: a regular file is there, not a socket: remove it or choose another path` });
  expect(readFileSync(file, 'utf8')).toBe('keep me');
});

test('prefork-ipc --control-socket: ctl status shows which job each worker runs, ctl metrics the pool', async () => {
  const socket = path.join(dir, 'cli.sock');
  const jobs = path.join(dir, 'slow.ndjson');
  writeFileSync(jobs, [{ sleep: 60_000, ok: 1 }, { sleep: 60_000, ok: 2 }].map((j) => JSON.stringify(j)).join('\n') + '\n');
  const p = start([BIN, '--workers', '2', '--no-progress', '--control-socket', socket, path.join(FIXTURES, 'cli', 'behave.js'), jobs], { command: process.execPath });
  const running = await askUntil(socket, { command: 'status' }, (r) => {
    const s = r.ok === true ? statusOf(r) : undefined;
    return s && s.busy === 2 ? s : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}\nstderr: ${p.stderr()}`);
  });
  expect(running.children.map((c) => c.note).sort()).toEqual(['job 0', 'job 1']);
  const table = await ctl('--socket', socket, 'status');
  expect(table.stdout).toMatch(/ready +busy +job 0/);
  const metrics = parseExposition((await ctl('--socket', socket, 'metrics')).stdout);
  expect(valueOf(metrics, 'prefork_workers', { state: 'busy' })).toBe(2);
  p.child.kill('SIGKILL');
  await p.done;
});
