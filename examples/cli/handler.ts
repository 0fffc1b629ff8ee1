/**
 * A handler for the prefork-ipc command: is each number prime, and what are its factors?
 *
 *   npm run build
 *   node bin/prefork-ipc.js --workers 2 examples/cli/handler.ts examples/cli/jobs.ndjson
 *
 * Each job is {"n": <whole number>}; anything else fails that job (and only that job).
 * The module runs in the worker processes, never in the manager.
 */
import type { JobHandler } from '../..';

interface Job {
  n: number;
}

interface Result {
  n: number;
  prime: boolean;
  factors: number[];
}

function factorize(n: number): number[] {
  const factors: number[] = [];
  for (let d = 2; d * d <= n; d++) {
    while (n % d === 0) {
      factors.push(d);
      n /= d;
    }
  }
  if (n > 1) factors.push(n);
  return factors;
}

const handler: JobHandler<Job, Result> = (job) => {
  if (!Number.isSafeInteger(job?.n) || job.n < 2) throw new RangeError(`n must be a whole number ≥ 2, got ${JSON.stringify(job?.n)}`);
  const factors = factorize(job.n);
  return { n: job.n, prime: factors.length === 1, factors };
};

export default handler;
