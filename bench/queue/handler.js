'use strict';
// The trivial job of the queue benchmark.
module.exports = async (job) => ({ n: job.n, double: job.n * 2 });
