/**
 * A bad deploy, rolled back (docs/servers.md, "Reloads that wait", "Rollback"):
 * a 2-child HTTP pool on the manager's socket, reloaded one child at a time on
 * HUP. The children read a "deploy" file as they start, standing in for the
 * code and configuration on disk: when it says `broken`, a new child throws
 * before it serves (a missing environment variable, the commonest bad deploy).
 * The old children go on serving, the reload is abandoned after two failed
 * attempts, and onReloadFailed says why. Fix the file, HUP again: the new
 * generation takes over.
 *
 *   npm run example:bad-deploy
 *   PORT=8080 DEPLOY_FILE=deploy.txt npm run example:bad-deploy
 *
 * From another terminal:
 *   curl http://127.0.0.1:8080/                 "ok from <pid> (generation 1)"
 *   echo broken > deploy.txt; kill -HUP $(cat bad-deploy.pid)
 *       two new children crash; then {"event":"reload-failed",…}; curl still answers, generation 1
 *   echo ok > deploy.txt; kill -HUP $(cat bad-deploy.pid)
 *       {"event":"reload","step":"done",…}; curl answers from generation 3
 *   kill -TERM $(cat bad-deploy.pid)
 *
 * Every event is one JSON line on stdout; the library's warnings go to stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { PreforkIPC, subscribe } from '..';

const DEPLOY_FILE = process.env.DEPLOY_FILE ?? 'deploy.txt';
const emit = (event: Record<string, unknown>): void => console.log(JSON.stringify(event));

const ppi = new PreforkIPC({
  maxWorkers: 2,
  listen: [{ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' }],
  pidFile: process.env.PID_FILE ?? 'bad-deploy.pid',
  // HUP: a rolling reload; with `listen` it is gated: an old child is told to stop only once its replacement is ready.
  trapSignals: { TERM: 'TERM', INT: 'TERM', HUP: ['TERM', 300] },
  reloadAttempts: 2, // two new children that fail to start, and the reload is abandoned
  readyTimeout: 10_000, // a new child that neither serves nor crashes within this is a failed attempt too
  errRespawnInterval: 200, // the first pause after a crash (then ×1.5 per crash in a row)
  gracePeriod: 5_000,
  afterFork: (ppi, pid, { slot }) => emit({ event: 'spawn', pid, generation: ppi.generation, slot, listen: ppi.listeners[0].address }),
  onChildReap: (ppi, pid, status, final, info) => emit({ event: 'reap', pid, status, reason: info.reason, slot: info.slot, error: info.error?.message }),
  onReloadFailed: (ppi, info) =>
    emit({ event: 'reload-failed', generation: info.generation, attempts: info.attempts, reason: info.reason, error: info.error?.message, message: info.message }),
});

if (!ppi.isChild) {
  // The events a deploy script or a dashboard would watch (docs/api.md, "Events").
  subscribe('ready', ({ pid, generation, slot }) => emit({ event: 'ready', pid, generation, slot }));
  subscribe('reload', ({ step, generation }) => emit({ event: 'reload', step, generation }));
}

async function child(): Promise<void> {
  // What a bad deploy breaks, checked before serving: here, a line in a file.
  if (readFileSync(DEPLOY_FILE, 'utf8').trim() === 'broken') throw new Error('bad deploy: DATABASE_URL is not set');
  const server = http.createServer((req, res) => res.end(`ok from ${process.pid} (generation ${ppi.generation}, slot ${ppi.slot})\n`));
  await ppi.serve(server); // ready once it listens: only then is an old child told to stop
}

async function main(): Promise<void> {
  if (!ppi.isChild) {
    try {
      writeFileSync(DEPLOY_FILE, 'ok\n', { flag: 'wx' }); // a good deploy to begin with; an existing file (or link) is left alone
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  while (!/^(TERM|INT)$/.test(ppi.signalReceived)) {
    if (await ppi.start()) continue;
    return child();
  }
  emit({ event: 'end', left: await ppi.waitAllChildren(10_000) });
}

main().catch((err: unknown) => {
  if (ppi.isChild) throw err; // a child's crash: the manager hears of it (ReapInfo.error, onReloadFailed's info.error)
  console.error(err);
  process.exit(1);
});
