'use strict';
// The manager options every PreforkIPC scenario shares: a run of a fixed
// number of children that ends by itself, so each measurement covers the
// same work and the manager process exits once it is done.

/**
 * PreforkIPC options for a run of exactly `total` children, at most `atOnce`
 * alive together (default: all of them). Once the last one has been started
 * none is replaced; once the last one has been reaped the manager stops. A
 * child that exits with a non-zero status fails the run. Each child gets its
 * number (1 … total) as workerData.
 *   onReap(finalPayload)  for every child reaped, before it is counted
 *   onAllReaped()         once, after the last child is reaped, before stop()
 * Spread the result into the PreforkIPC options: `{ ...fixedPool(4), callbacks }`.
 */
function fixedPool(total, { atOnce = total, onReap, onAllReaped } = {}) {
  let reaped = 0;
  return {
    maxWorkers: atOnce,
    beforeFork: (ppi) => {
      // Counted from the live children, not from calls here, so a failed spawn
      // (beforeFork ran, no child started) is retried rather than lost.
      const number = ppi.numWorkers + reaped + 1;
      if (number >= total) ppi.maxWorkers = 0;
      return number;
    },
    onChildReap: (ppi, _pid, status, finalPayload) => {
      if (status !== 0) throw new Error(`child exited with ${status}`);
      onReap?.(finalPayload);
      if (++reaped === total) {
        onAllReaped?.();
        ppi.stop();
      }
    },
  };
}

module.exports = { fixedPool };
