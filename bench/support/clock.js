'use strict';
// Milliseconds on the monotonic clock. process.hrtime reads CLOCK_MONOTONIC,
// which every process on the machine shares, so a time taken in a child can
// be subtracted from one taken in the manager.
function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A ~60-byte JSON payload, the size of a typical "give me the next job" call. */
const SMALL_PAYLOAD = { job: 'resize', id: 123456, path: '/srv/in/img-000001.png' };

module.exports = { nowMs, SMALL_PAYLOAD };
