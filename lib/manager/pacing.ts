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
 * A crash-loop backoff (issue "hung children and spare workers") is another
 * function of this state: a `crashes` count beside `crashing` would do.
 */

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
}

export const INITIAL_PACING: PacingState = { nextSpawnAt: 0, pausedUntil: 0, crashing: false };

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
  if (!end.exited) return state.crashing ? { ...state, crashing: false } : state;
  let next = state;
  if (end.status === 0 || end.finished) next = { ...next, crashing: false };
  if (end.status !== 0 && config.errRespawnInterval > 0) {
    next = { ...next, pausedUntil: now + config.errRespawnInterval };
    if (!end.finished) next = { ...next, crashing: true };
  }
  return next;
}

/** A new generation begins (start()): the crash state is the old generation's. */
export function generationBegun(state: PacingState): PacingState {
  return state.crashing ? { ...state, crashing: false } : state;
}
