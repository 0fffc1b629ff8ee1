'use strict';
// Manager-side counting for the call benchmarks: only a window in the middle
// of the run is timed, so child start-up, JIT warm-up and the tail while
// children finish stay out of the number.

/**
 * Counts events (calls, round trips) as the manager sees them and times the
 * span from event number `from` to event number `to`.
 *   tick()    one more event
 *   result()  `summarise(windowNs)`, after checking that exactly `total`
 *             events arrived (`what` names them in the error)
 */
function windowCounter({ from, to, total, what, summarise }) {
  let seen = 0;
  let fromNs = 0n;
  let toNs = 0n;
  return {
    tick() {
      seen++;
      if (seen === from) fromNs = process.hrtime.bigint();
      if (seen === to) toNs = process.hrtime.bigint();
    },
    result() {
      if (seen !== total) throw new Error(`saw ${seen} ${what}, expected ${total}`);
      return summarise(Number(toNs - fromNs));
    },
  };
}

module.exports = { windowCounter };
