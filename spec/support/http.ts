/** HTTP on 127.0.0.1 for the specs: one plain request, and autocannon (typed) with the check every load test makes. */
import http from 'node:http';

/** The body of one GET on its own connection. */
export function getBody(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** What the specs read of autocannon's result. */
export interface LoadResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  latency: { p50: number; p99: number; max: number };
}

export interface LoadInstance {
  stop(): void;
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
}

type Autocannon = (options: object, done: (err: Error | null, result: LoadResult) => void) => LoadInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no types
export const autocannon = require('autocannon') as Autocannon;

/** No request failed in any way autocannon counts (nor by a request error it reported), and some were made. */
export function expectNoFailedRequests(result: LoadResult, requestErrors: readonly string[]): void {
  expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets, requestErrors }).toEqual({
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    resets: 0,
    requestErrors: [],
  });
  expect(result.requests.total).toBeGreaterThan(0);
}
