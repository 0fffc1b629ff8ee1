import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeStaleSocket } from '../../../lib/manager/stale-socket';

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-stale-'));
let n = 0;
const fresh = (): string => path.join(dir, `s${++n}.sock`);

/** A process listening on `file` (backlog 1), which the test can stop (SIGSTOP) so it accepts nothing, and kill. */
async function listener(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen({ path: ${JSON.stringify(file)}, backlog: 1 }, () => console.log('listening'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.once('exit', () => reject(new Error('the listener exited')));
  });
  return child;
}

function connectOutcome(file: string, open: net.Socket[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(file);
    socket.once('connect', () => {
      open.push(socket);
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? ''));
  });
}

test('nothing there: the path is free', async () => {
  expect(await removeStaleSocket(fresh())).toBeUndefined();
});

test.each([
  ['a regular file (a mistyped path)', (file: string) => writeFileSync(file, 'precious'), 'a regular file is there, not a socket: remove it or choose another path'],
  ['a directory', (file: string) => mkdirSync(file), 'a directory is there, not a socket: remove it or choose another path'],
  ['a symbolic link', (file: string) => symlinkSync(path.join(dir, 'elsewhere'), file), 'a symbolic link is there, not a socket: remove it or choose another path'],
])('%s is refused, named, and left as it is', async (_, make, reason) => {
  const file = fresh();
  make(file);
  expect(await removeStaleSocket(file)).toBe(reason);
  expect(() => lstatSync(file)).not.toThrow();
  if (reason.startsWith('a regular file')) expect(readFileSync(file, 'utf8')).toBe('precious');
});

test('a live server is refused; a socket whose server was SIGKILLed (ECONNREFUSED) is removed', async () => {
  const file = fresh();
  const child = await listener(file);
  try {
    expect(await removeStaleSocket(file)).toBe('a server is answering on it');
    expect(existsSync(file)).toBe(true);
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  expect(existsSync(file)).toBe(true); // killed: nobody removed its file
  expect(await removeStaleSocket(file)).toBeUndefined();
  expect(existsSync(file)).toBe(false);
});

test('a live server whose accept queue is full (connect answers EAGAIN) keeps its socket', async () => {
  const file = fresh();
  const child = await listener(file);
  const open: net.Socket[] = [];
  try {
    child.kill('SIGSTOP'); // it accepts nothing now: its queue fills
    let outcome = '';
    for (let i = 0; i < 64 && outcome !== 'EAGAIN'; i++) outcome = await connectOutcome(file, open);
    expect(outcome).toBe('EAGAIN');
    expect(await removeStaleSocket(file)).toBe('a server is listening on it (its accept queue is full: connect answered EAGAIN)');
    expect(existsSync(file)).toBe(true);
  } finally {
    for (const socket of open) socket.destroy();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});
