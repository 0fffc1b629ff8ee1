/**
 * examples/bad-deploy.ts: a HUP whose new children throw before serve() is
 * rolled back (the old generation answers throughout, onReloadFailed names
 * the error); the fixed deploy and another HUP bring the new generation in.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getBody } from './support/http';
import { start, ROOT } from './support/run';

jest.setTimeout(120_000);

type Ev = { event: string; generation?: number; step?: string; pid?: number };

test('examples/bad-deploy.ts: the broken deploy rolls back and the old children keep answering; the fixed one takes over', async () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(manifest.scripts['example:bad-deploy']).toBe('npm run build && node --require tsx/cjs examples/bad-deploy.ts');
  const tmp = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-bad-deploy-example-'));
  const deployFile = path.join(tmp, 'deploy.txt');
  const pidFile = path.join(tmp, 'app.pid');
  const p = start(['--require', 'tsx/cjs', path.join(ROOT, 'examples', 'bad-deploy.ts')], {
    command: process.execPath,
    env: { ...process.env, PORT: '0', DEPLOY_FILE: deployFile, PID_FILE: pidFile },
  });
  const ready = (generation: number): Ev[] => (p.events('ready') as Ev[]).filter((e) => e.generation === generation);
  await p.waitFor(() => ready(1).length === 2, 60_000, 'generation 1 ready');
  expect(readFileSync(deployFile, 'utf8')).toBe('ok\n');
  const managerPid = Number(readFileSync(pidFile, 'utf8'));
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(p.stdout())?.[1]);
  expect(port).toBeGreaterThan(0);
  expect(await getBody(port)).toMatch(/^ok from \d+ \(generation 1, slot [01]\)\n$/);

  writeFileSync(deployFile, 'broken\n');
  process.kill(managerPid, 'SIGHUP');
  await p.waitForEvents('reload-failed', 1, 60_000);
  expect(p.events('reload-failed')[0]).toMatchObject({ generation: 2, attempts: 2, reason: 'crashed', error: 'bad deploy: DATABASE_URL is not set' });
  const warning = /reload to generation 2 abandoned after 2 failed attempts: child \d+ crashed: Error: bad deploy: DATABASE_URL is not set; the children of the older generation keep serving/;
  expect((p.events('reload-failed')[0] as { message: string }).message).toMatch(warning);
  for (let i = 0; i < 4; i++) expect(await getBody(port)).toMatch(/\(generation 1, /);

  writeFileSync(deployFile, 'ok\n');
  process.kill(managerPid, 'SIGHUP');
  await p.waitFor(() => (p.events('reload') as Ev[]).some((e) => e.step === 'done'), 60_000, 'the second reload done');
  expect(ready(3)).toHaveLength(2);
  expect(await getBody(port)).toMatch(/\(generation 3, /);
  process.kill(managerPid, 'SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  expect(end.stderr).toMatch(warning); // the same line, as a warning
});
