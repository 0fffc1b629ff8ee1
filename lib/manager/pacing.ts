/**
 * Spawn pacing as pure arithmetic: when the next spawn may happen, given the
 * clock and what happened so far. No timers and no processes here: the policy
 * (policy.ts) keeps one `PacingState` and the manager sets the one timer the
 * answer asks for, so the rules can be unit-tested with fake clock values.
 *
 * The rules (unchanged from Perl's Parallel::Prefork, plus a crash rule):
 * - `spawnInterval`: at least this long between two spawns;
 * - `errRespawnInterval`: after a child of the running generation exits
 *   non-zero, no spawn for this long;
 * - while children crash (exit non-zero without finish()), one spawn per
 *   max(spawnInterval, errRespawnInterval) rather than maxWorkers at once;
 * - spawn() itself failed (EAGAIN, ENOMEM…): pause at least SPAWN_FAILURE_PAUSE_MS.
 *
 * - crash-loop backoff: the pause after a crash grows ×1.5 per crash in a row
 *   (einhorn's factor; PM2's too), from `errRespawnInterval` (so a first crash
 *   pauses as it always did) up to MAX_BACKOFF_MS, and falls back to the first
 *   step once a child is ready (`childReady`): a child that comes up and later
 *   crashes is a new incident, not the next step of a loop.
 */

/** The backoff's ceiling (einhorn's 30 s; PM2 stops at 15 s). errRespawnInterval above it is kept as given. */
export const MAX_BACKOFF_MS = 30_000;
/** Each crash in a row multiplies the pause by this. */
export const BACKOFF_FACTOR = 1.5;

/** Least pause after spawn() itself failed, so a failing spawn is never retried in a tight loop. */
export const SPAWN_FAILURE_PAUSE_MS = 100;

export interface PacingConfig {
  spawnInterval: number;
  errRespawnInterval: number;
}

export interface PacingState {
  /** No spawn before this (spawnInterval after the last one). */
  readonly nextSpawnAt: number;
  /** No spawn before this either (errRespawnInterval after a failure). */
  readonly pausedUntil: number;
  /** Children of this generation are dying without calling finish(). */
  readonly crashing: boolean;
  /** Crashes since a child was last ready: the backoff's exponent. */
  readonly crashes: number;
}

export const INITIAL_PACING: PacingState = { nextSpawnAt: 0, pausedUntil: 0, crashing: false, crashes: 0 };

/** The pause after the `crashes`-th crash in a row: errRespawnInterval × 1.5^(crashes − 1), at most MAX_BACKOFF_MS. */
export function backoff(config: PacingConfig, crashes: number): number {
  const first = config.errRespawnInterval;
  if (first <= 0) return 0;
  return Math.round(Math.min(first * BACKOFF_FACTOR ** Math.max(0, crashes - 1), Math.max(first, MAX_BACKOFF_MS)));
}

/** A child is ready: the backoff starts again from its first step. */
export function childReady(state: PacingState): PacingState {
  return state.crashes === 0 ? state : { ...state, crashes: 0 };
}

/** A child of the running generation failed to start (not ready within readyTimeout): a crash, for pacing. */
export function startFailed(state: PacingState, config: PacingConfig, now: number): PacingState {
  return lifetimeEnded(state, config, now, { status: 1, finished: false, exited: true });
}

/** Milliseconds until a spawn is allowed; 0 when it is allowed now. */
export function spawnDelay(state: PacingState, now: number): number {
  return Math.max(0, Math.max(state.nextSpawnAt, state.pausedUntil) - now);
}

/** The gap a spawn at this point opens before the next one. */
export function spawnGap(state: PacingState, config: PacingConfig): number {
  return state.crashing ? Math.max(config.spawnInterval, config.errRespawnInterval) : config.spawnInterval;
}

/** A child was spawned at `now`. */
export function spawned(state: PacingState, config: PacingConfig, now: number): PacingState {
  return { ...state, nextSpawnAt: now + spawnGap(state, config) };
}

/** spawn() failed at `now`: returns the state and the pause (ms) before the next try. */
export function spawnFailed(state: PacingState, config: PacingConfig, now: number): { state: PacingState; pause: number } {
  const pause = Math.max(config.errRespawnInterval, SPAWN_FAILURE_PAUSE_MS);
  return { state: { ...state, pausedUntil: now + pause }, pause };
}

/**
 * A lifetime of the running generation ended, and the manager had not told
 * its child to stop. `status` is the exit status (or finish()'s code for a
 * reused child's lifetime), `finished` whether it called finish(), `exited`
 * whether the process is gone (a reused child's finish() is no exit).
 */
export function lifetimeEnded(
  state: PacingState,
  config: PacingConfig,
  now: number,
  end: { status: number; finished: boolean; exited: boolean },
): PacingState {
  if (!end.exited) return state.crashing ? crashOver(state, config) : state;
  let next = state;
  if (end.status === 0 || end.finished) next = crashOver(next, config);
  if (end.status !== 0 && config.errRespawnInterval > 0) {
    if (end.finished) next = { ...next, pausedUntil: now + config.errRespawnInterval };
    else {
      const crashes = next.crashes + 1;
      next = { ...next, crashing: true, crashes, pausedUntil: now + backoff(config, crashes) };
    }
  }
  return next;
}

/** A new generation begins (start()): the crash state is the old generation's. */
export function generationBegun(state: PacingState, config: PacingConfig): PacingState {
  return state.crashing ? crashOver(state, config) : state;
}

/**
 * The crash state ends, and with it the crash gap the last spawn opened: the next spawn is due
 * `spawnInterval` after that one, not `errRespawnInterval` (a slot freed while a worker was still
 * finishing would otherwise wait a whole errRespawnInterval for nothing; on a loaded machine the
 * suite saw it).
 */
function crashOver(state: PacingState, config: PacingConfig): PacingState {
  if (!state.crashing) return state;
  const nextSpawnAt = state.nextSpawnAt - spawnGap(state, config) + config.spawnInterval;
  return { ...state, crashing: false, nextSpawnAt: Math.min(state.nextSpawnAt, nextSpawnAt) };
}
