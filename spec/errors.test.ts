import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PreforkIPC } from '../lib';
import { FIXTURES, ROOT, run } from './support/run';

describe('options of the wrong type or range throw a TypeError naming the option', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['negative maxWorkers', { maxWorkers: -1 }, /option 'maxWorkers' must be a whole number ≥ 0, got -1/],
    ['fractional maxWorkers', { maxWorkers: 1.5 }, /'maxWorkers'/],
    ['string spawnInterval', { spawnInterval: '10' }, /option 'spawnInterval' must be a number of milliseconds ≥ 0, got "10"/],
    ['negative errRespawnInterval', { errRespawnInterval: -5 }, /'errRespawnInterval'/],
    ['NaN callbackTimeout', { callbackTimeout: NaN }, /'callbackTimeout'/],
    ['a trapSignals value that is not a signal', { trapSignals: { TERM: 'NOPE' } }, /option 'trapSignals.TERM' must be a signal name/],
    ['a trapSignals key that is not a signal', { trapSignals: { BOGUS: 'TERM' } }, /'trapSignals' must be keyed by signal names, got "BOGUS"/],
    ['trapping SIGKILL', { trapSignals: { KILL: 'TERM' } }, /signals that can be caught/],
    ['a bad staggered action', { trapSignals: { TERM: ['TERM', -1] } }, /'trapSignals.TERM'/],
    ['a callback that is not a function', { callbacks: { getUsername: 'alice' } }, /option 'callbacks.getUsername' must be a function, got "alice"/],
    ['an onChildReap that is not a function', { onChildReap: 1 }, /option 'onChildReap' must be a function, got 1/],
    ['a tiny maxMessageBytes', { maxMessageBytes: 2 }, /'maxMessageBytes'/],
    ['a bad onManagerExit', { onManagerExit: 'explode' }, /'onManagerExit'/],
  ];
  test.each(cases)('%s', (_, options, message) => {
    expect(() => new PreforkIPC(options as never)).toThrow(TypeError);
    expect(() => new PreforkIPC(options as never)).toThrow(message);
  });

  test('setting maxWorkers at run time is checked too', () => {
    const ppi = new PreforkIPC({ trapSignals: {} });
    expect(() => {
      ppi.maxWorkers = -3;
    }).toThrow(/'maxWorkers'/);
    ppi.maxWorkers = 4;
    expect(ppi.maxWorkers).toBe(4);
  });
});

test('callback() and finish() in the manager reject with a clear error; the manager role is reported', async () => {
  const ppi = new PreforkIPC({ trapSignals: {} });
  expect(ppi.isChild).toBe(false);
  expect(ppi.managerPid).toBe(process.pid);
  expect(ppi.signalReceived).toBe('');
  await expect(ppi.callback('x')).rejects.toThrow('PreforkIPC.callback() is for child processes; this is the manager');
  await expect(ppi.finish(0, 'x')).rejects.toThrow('PreforkIPC.finish() is for child processes');
  await expect(ppi.waitAllChildren()).resolves.toBe(0);
  expect(() => ppi.signalAllChildren('NOPE')).toThrow(TypeError);
});

describe('start() with no script file to re-execute rejects with a clear error', () => {
  const env = { ...process.env, PACKAGE_DIR: path.join(ROOT, 'dist') };
  const source = readFileSync(path.join(FIXTURES, 'start-elsewhere.js'), 'utf8');

  test('node -e, with arguments that look like a script', async () => {
    const end = await run(['-e', source, 'a', 'b'], { command: process.execPath, env });
    expect(end.stdout).toMatch(/^rejected: PreforkIPC.start\(\) cannot make child processes: the script was given with node -e/);
  });

  test('node -p', async () => {
    const end = await run(['-p', `${source}; 1`], { command: process.execPath, env });
    expect(end.stdout).toMatch(/rejected: .*node -e\/-p/);
  });

  test('a script piped to node on standard input', async () => {
    const end = await run(['-c', `node - < ${JSON.stringify(path.join(FIXTURES, 'start-elsewhere.js'))}`], { command: 'sh', env });
    expect(end.stdout).toMatch(/^rejected: .*read from standard input/);
  });
});

test('a script started with the child marker but without the pipes gets a clear error', async () => {
  const end = await run(['synopsis.js'], { env: { ...process.env, PARALLEL_PREFORK_IPC_CHILD: '1' } });
  expect(end.code).not.toBe(0);
  expect(end.stderr).toContain('PARALLEL_PREFORK_IPC_CHILD is set in the environment, but fd 3 and fd 4 are not the pipes');
});

test('the manager uses no CPU to speak of while its children sit idle (no polling)', async () => {
  const end = await run(['idle.js'], { env: { ...process.env, IDLE_MS: '2000' } });
  expect(end.code).toBe(0);
  const cpu = end.events.find((e) => e.event === 'cpu') as { userMs: number; systemMs: number };
  // A polling loop burns a whole core (2000 ms here); an event-driven manager uses close to nothing.
  expect(cpu.userMs + cpu.systemMs).toBeLessThan(100);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
