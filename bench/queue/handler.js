'use strict';
// The trivial job of the queue benchmark. job.firstMs: the first attempt waits that long
// (the recovery benchmark's job, interrupted by a SIGKILL of its host).
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = async (job, ctx) => {
  if (job.firstMs && ctx.attempt === 1) await sleep(job.firstMs);
  return { n: job.n, double: job.n * 2 };
};
