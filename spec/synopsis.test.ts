import path from 'node:path';
import { run, ROOT } from './support/run';

type Reap = { event: 'reap'; pid: number; status: number; finalPayload: unknown };

function checkRun(events: Array<Record<string, unknown>>, usernames: string[]): void {
  const reaps = events.filter((e) => e.event === 'reap') as Reap[];
  const ok = reaps.filter((r) => r.status === 0);
  // Every username was handed to exactly one child, whose final payload came back whole.
  expect(ok.map((r) => r.finalPayload).sort((a, b) => String((a as Final).username).localeCompare((b as Final).username))).toEqual(
    usernames.map((u) => ({ username: u, data: u.toUpperCase() })),
  );
  // Children that started after the queue ran dry finished with 5 or were ended by the TERM that stop() forwards.
  for (const r of reaps.filter((r) => r.status !== 0)) expect([5, 143]).toContain(r.status);
  const logs = events.filter((e) => e.event === 'log');
  expect(logs.map((l) => l.note).sort()).toEqual([...usernames].sort());
  for (const log of logs) expect(ok.map((r) => r.pid)).toContain(log.pid);
  expect(events.at(-1)).toMatchObject({ event: 'end', left: 0 });
}
type Final = { username: string };

test('the synopsis loop works as written in compiled JavaScript', async () => {
  const result = await run(['synopsis.js']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  checkRun(result.events, ['alice', 'bob', 'carol', 'dave', 'erin']);
  expect(result.events.at(-1)).toMatchObject({ signal: 'TERM', generation: 1 });
});

test('the synopsis loop works under ts-node (CommonJS), type-checked', async () => {
  const tsNode = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');
  const result = await run([tsNode, path.join(ROOT, 'spec', 'fixtures', 'synopsis.ts')], { command: process.execPath });
  expect(result.code).toBe(0);
  checkRun(result.events, ['alice', 'bob', 'carol']);
  expect(result.events.at(-1)).toMatchObject({ isChild: false });
});
