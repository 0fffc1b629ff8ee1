import {
  backoff,
  childReady,
  generationBegun,
  MAX_BACKOFF_MS,
  startFailed,
  INITIAL_PACING,
  lifetimeEnded,
  spawnDelay,
  spawned,
  spawnFailed,
  spawnGap,
  SPAWN_FAILURE_PAUSE_MS,
  type PacingConfig,
} from '../../../lib/manager/pacing';

const config: PacingConfig = { spawnInterval: 50, errRespawnInterval: 1000 };

test('a fresh pool may spawn at once', () => {
  expect(spawnDelay(INITIAL_PACING, 10_000)).toBe(0);
});

test('spawnInterval apart: the next spawn waits for what is left of it', () => {
  const state = spawned(INITIAL_PACING, config, 10_000);
  expect(state.nextSpawnAt).toBe(10_050);
  expect(spawnDelay(state, 10_000)).toBe(50);
  expect(spawnDelay(state, 10_030)).toBe(20);
  expect(spawnDelay(state, 10_050)).toBe(0);
  expect(spawnDelay(state, 20_000)).toBe(0);
});

test('spawnInterval 0 lets every spawn through at once', () => {
  const state = spawned(INITIAL_PACING, { spawnInterval: 0, errRespawnInterval: 0 }, 10_000);
  expect(spawnDelay(state, 10_000)).toBe(0);
});

test('an exit with a non-zero status pauses spawning for errRespawnInterval', () => {
  const state = lifetimeEnded(INITIAL_PACING, config, 10_000, { status: 3, finished: true, exited: true });
  expect(spawnDelay(state, 10_000)).toBe(1000);
  expect(spawnDelay(state, 10_999)).toBe(1);
  // It called finish(): a failed job, no crash, so spawning is not slowed down afterwards.
  expect(state.crashing).toBe(false);
});

test('a crash (non-zero, no finish()) also spaces the following spawns by max(spawnInterval, errRespawnInterval)', () => {
  const crashed = lifetimeEnded(INITIAL_PACING, config, 10_000, { status: 1, finished: false, exited: true });
  expect(crashed.crashing).toBe(true);
  expect(spawnGap(crashed, config)).toBe(1000);
  const after = spawned(crashed, config, 11_000);
  expect(spawnDelay(after, 11_000)).toBe(1000);
  // A gap of spawnInterval when spawnInterval is the larger one.
  expect(spawnGap(crashed, { spawnInterval: 5000, errRespawnInterval: 1000 })).toBe(5000);
});

test('a clean exit, a finish(), or a new generation ends the crash state', () => {
  const crashed = lifetimeEnded(INITIAL_PACING, config, 0, { status: 1, finished: false, exited: true });
  expect(lifetimeEnded(crashed, config, 5, { status: 0, finished: false, exited: true }).crashing).toBe(false);
  expect(lifetimeEnded(crashed, config, 5, { status: 2, finished: true, exited: true }).crashing).toBe(false);
  expect(lifetimeEnded(crashed, config, 5, { status: 0, finished: true, exited: false }).crashing).toBe(false);
  expect(generationBegun(crashed, config).crashing).toBe(false);
  expect(spawnGap(generationBegun(crashed, config), config)).toBe(50);
});

test('with errRespawnInterval 0 nothing pauses and nothing counts as crashing', () => {
  const none = { spawnInterval: 0, errRespawnInterval: 0 };
  const state = lifetimeEnded(INITIAL_PACING, none, 10_000, { status: 1, finished: false, exited: true });
  expect(spawnDelay(state, 10_000)).toBe(0);
  expect(state.crashing).toBe(false);
});

test('a reused child finishing a lifetime (no exit) changes no pause', () => {
  const paused = lifetimeEnded(INITIAL_PACING, config, 10_000, { status: 1, finished: true, exited: true });
  const state = lifetimeEnded(paused, config, 10_100, { status: 7, finished: true, exited: false });
  expect(state.pausedUntil).toBe(paused.pausedUntil);
});

test('spawn() failing pauses at least SPAWN_FAILURE_PAUSE_MS, or errRespawnInterval when longer', () => {
  const short = spawnFailed(INITIAL_PACING, { spawnInterval: 0, errRespawnInterval: 0 }, 10_000);
  expect(short.pause).toBe(SPAWN_FAILURE_PAUSE_MS);
  expect(spawnDelay(short.state, 10_000)).toBe(SPAWN_FAILURE_PAUSE_MS);
  const long = spawnFailed(INITIAL_PACING, config, 10_000);
  expect(long.pause).toBe(1000);
  expect(spawnDelay(long.state, 10_000)).toBe(1000);
});

test('the later of the two limits wins', () => {
  const paused = lifetimeEnded(spawned(INITIAL_PACING, config, 10_000), config, 10_010, { status: 1, finished: true, exited: true });
  expect(spawnDelay(paused, 10_010)).toBe(1000);
});

test('crash backoff: ×1.5 per crash in a row from errRespawnInterval, capped at 30 s, back to the first step once a child is ready', () => {
  const cfg: PacingConfig = { spawnInterval: 0, errRespawnInterval: 1000 };
  const crash = { status: 1, finished: false, exited: true };
  let state = INITIAL_PACING;
  const pauses: number[] = [];
  for (let i = 0; i < 12; i++) {
    state = lifetimeEnded(state, cfg, 0, crash);
    pauses.push(state.pausedUntil);
  }
  expect(pauses.slice(0, 4)).toEqual([1000, 1500, 2250, 3375]);
  expect(pauses.at(-1)).toBe(MAX_BACKOFF_MS);
  state = childReady(state);
  expect(lifetimeEnded(state, cfg, 0, crash).pausedUntil).toBe(1000);
  // A non-zero finish() is no crash: the flat pause, and the count stays.
  expect(lifetimeEnded(state, cfg, 0, { status: 2, finished: true, exited: true }).crashes).toBe(0);
  expect(backoff({ spawnInterval: 0, errRespawnInterval: 0 }, 5)).toBe(0);
  expect(backoff({ spawnInterval: 0, errRespawnInterval: 60_000 }, 5)).toBe(60_000);
  expect(startFailed(INITIAL_PACING, cfg, 10).pausedUntil).toBe(1010);
});

test('the crash gap ends with the crash state: a slot freed after a finish() is filled spawnInterval after the last spawn', () => {
  const crashed = lifetimeEnded(INITIAL_PACING, config, 10_000, { status: 1, finished: false, exited: true });
  const paced = spawned(crashed, config, 11_000);
  expect(spawnDelay(paced, 11_100)).toBe(900); // the crash gap (errRespawnInterval)
  const over = lifetimeEnded(paced, config, 11_100, { status: 0, finished: true, exited: true });
  expect(over.crashing).toBe(false);
  expect(spawnDelay(over, 11_100)).toBe(0); // 11_000 + spawnInterval (50) has passed
  expect(spawnDelay(generationBegun(spawned(crashed, config, 11_000), config), 11_020)).toBe(30);
});
