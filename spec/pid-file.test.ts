/** The pidFile option in a directory others may write to, beside another instance, and across an overlapping deploy. */
import { expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, start, type Running } from './support/run';

jest.setTimeout(60_000);

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-pid-file-'));
let serial = 0;

function manager(pidFile: string): Running {
  return start(['pid-file.js'], { env: { ...process.env, PID_FILE: pidFile } });
}

async function running(pidFile: string): Promise<{ m: Running; pid: number }> {
  const m = manager(pidFile);
  await m.waitForEvents('ready', 1);
  return { m, pid: (m.events('ready')[0] as { manager: number }).manager };
}

/** A pid no process has: one that ran and was reaped. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

function fresh(): string {
  return path.join(dir, `app-${++serial}.pid`);
}

test('a symlink planted at the pidFile path is replaced, never written through; its target stays as it was', async () => {
  const pidFile = fresh();
  const target = path.join(dir, 'precious.txt');
  writeFileSync(target, 'precious\n');
  symlinkSync(target, pidFile);
  const { m, pid } = await running(pidFile);
  expect(lstatSync(pidFile).isSymbolicLink()).toBe(false);
  expect(readFileSync(pidFile, 'utf8')).toBe(`${pid}\n`);
  expect(readFileSync(target, 'utf8')).toBe('precious\n');
  m.child.kill('SIGTERM');
  expect((await m.done).code).toBe(0);
  expect(existsSync(pidFile)).toBe(false);
  expect(readFileSync(target, 'utf8')).toBe('precious\n');
  // No temporary file is left beside it.
  expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
});

test('a second manager refuses a pidFile that names a running manager, with an error naming the file and the pid', async () => {
  const pidFile = fresh();
  const first = await running(pidFile);
  const second = await run(['pid-file.js'], { env: { ...process.env, PID_FILE: pidFile } });
  expect(second.code).toBe(2);
  expect(second.events[0]).toEqual({
    event: 'refused',
    message: expect.stringContaining(`PreforkIPC option 'pidFile': ${pidFile} names process ${first.pid}, which is running`),
  });
  // The running manager's file is untouched.
  expect(readFileSync(pidFile, 'utf8')).toBe(`${first.pid}\n`);
  first.m.child.kill('SIGTERM');
  await first.m.done;
});

test('a stale pidFile (its process is gone) is replaced', async () => {
  const pidFile = fresh();
  writeFileSync(pidFile, `${deadPid()}\n`);
  const { m, pid } = await running(pidFile);
  expect(readFileSync(pidFile, 'utf8')).toBe(`${pid}\n`);
  m.child.kill('SIGTERM');
  await m.done;
  expect(existsSync(pidFile)).toBe(false);
});

test('at exit a manager leaves a pidFile that a newer manager wrote meanwhile (an overlapping deploy)', async () => {
  const pidFile = fresh();
  const old = await running(pidFile);
  // The documented overlapping deploy: move the old file aside, start the new manager, stop the old one.
  const aside = `${pidFile}.old`;
  renameSync(pidFile, aside);
  const newer = await running(pidFile);
  expect(readFileSync(pidFile, 'utf8')).toBe(`${newer.pid}\n`);
  process.kill(Number(readFileSync(aside, 'utf8')), 'SIGTERM');
  expect((await old.m.done).code).toBe(0);
  // The old manager removed nothing of the new one's: `kill -HUP $(cat app.pid)` still reaches it.
  expect(readFileSync(pidFile, 'utf8')).toBe(`${newer.pid}\n`);
  newer.m.child.kill('SIGTERM');
  await newer.m.done;
  expect(existsSync(pidFile)).toBe(false);
});
