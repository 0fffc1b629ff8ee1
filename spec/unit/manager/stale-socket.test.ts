import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearStaleSocket } from '../../../lib/manager/stale-socket';

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-stale-'));
const WHAT = 'the test';

test('nothing there: nothing to do', async () => {
  await expect(clearStaleSocket(path.join(dir, 'none.sock'), WHAT)).resolves.toBeUndefined();
});

test('a file, a directory, a symlink (even to a stale socket) are refused by name and left as they are', async () => {
  const file = path.join(dir, 'file');
  writeFileSync(file, 'data');
  await expect(clearStaleSocket(file, WHAT)).rejects.toThrow(`the test: ${file} exists and is a file; only a stale socket is replaced`);
  expect(readFileSync(file, 'utf8')).toBe('data');
  const directory = path.join(dir, 'dir');
  mkdirSync(directory);
  await expect(clearStaleSocket(directory, WHAT)).rejects.toThrow('exists and is a directory');
  const link = path.join(dir, 'link');
  symlinkSync(file, link);
  await expect(clearStaleSocket(link, WHAT)).rejects.toThrow('exists and is a symbolic link');
  expect(existsSync(file)).toBe(true);
});

test('a socket someone answers on is refused; once its process is gone (ECONNREFUSED) it is removed', async () => {
  const sock = path.join(dir, 'live.sock');
  // A real listener in another process, SIGKILLed later: it leaves its socket file behind.
  const listener = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => listener.stdout.once('data', () => resolve()));
  await expect(clearStaleSocket(sock, WHAT)).rejects.toThrow(`the test: ${sock}: a server is answering on it (another manager?)`);
  const gone = new Promise((resolve) => listener.once('exit', resolve));
  listener.kill('SIGKILL');
  await gone;
  expect(lstatSync(sock).isSocket()).toBe(true);
  await clearStaleSocket(sock, WHAT);
  expect(existsSync(sock)).toBe(false);
});
