// The documented defaults (docs/api.md, the options table), checked where they are set.
import { DEFAULT_MAX_MESSAGE_BYTES, resolveOptions } from '../lib/options';

test('the options left out take the documented defaults', () => {
  const resolved = resolveOptions({});
  expect(resolved).toMatchObject({
    maxWorkers: 10,
    spawnInterval: 0,
    errRespawnInterval: 1000,
    callbackTimeout: undefined,
    maxMessageBytes: 256 * 1024 * 1024,
    onManagerExit: 'terminate',
    gracePeriod: 30_000,
    exec: {},
  });
  expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(256 * 1024 * 1024);
  expect([...resolved.trapSignals]).toEqual([['TERM', { signal: 'TERM', intervalMs: 0 }]]);
  expect(resolved.callbacks.size).toBe(0);
  expect(resolveOptions(undefined)).toEqual(resolved);
});
