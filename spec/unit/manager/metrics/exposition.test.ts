import { poolMetrics } from '../../../../lib/manager/metrics/exposition';
import { Scoreboard } from '../../../../lib/manager/scoreboard';
import { parseExposition, valueOf } from '../../../support/control';

test('the pool metrics follow the text format, with every reason and result listed from zero', () => {
  const board = new Scoreboard();
  const a = board.add(101, 1);
  board.add(102, 1);
  board.setPhase(a, 'ready');
  a.update({ type: 'beat', seq: 0, state: 'busy', note: 'x', since: 1, served: 4, inflight: 1, elu: 0.5, rss: 1000, heapUsed: 10 }, 5);
  board.lifetimeBegun(a);
  board.reaped('killed');
  board.callbackDone('get "quoted"\nname', true, 0.003);
  board.callbackDone('get "quoted"\nname', false, 2);
  const samples = parseExposition(poolMetrics(board, { generation: 3 }));
  expect(valueOf(samples, 'prefork_workers', { state: 'busy' })).toBe(1);
  expect(valueOf(samples, 'prefork_workers', { state: 'starting' })).toBe(1);
  expect(valueOf(samples, 'prefork_generation')).toBe(3);
  expect(valueOf(samples, 'prefork_spawns_total')).toBe(2);
  expect(valueOf(samples, 'prefork_lifetimes_total')).toBe(1);
  expect(valueOf(samples, 'prefork_reaps_total', { reason: 'killed' })).toBe(1);
  expect(valueOf(samples, 'prefork_reaps_total', { reason: 'overflow' })).toBe(0);
  expect(valueOf(samples, 'prefork_served_total')).toBe(4);
  expect(valueOf(samples, 'prefork_reloads_total', { result: 'failed' })).toBe(0);
  // A callback name is the child's string: escaped, never breaking the format.
  expect(valueOf(samples, 'prefork_callbacks_total', { name: 'get "quoted"\nname', result: 'failed' })).toBe(1);
  expect(valueOf(samples, 'prefork_callback_duration_seconds_bucket', { name: 'get "quoted"\nname', le: '0.005' })).toBe(1);
  expect(valueOf(samples, 'prefork_callback_duration_seconds_bucket', { name: 'get "quoted"\nname', le: '+Inf' })).toBe(2);
  expect(valueOf(samples, 'prefork_child_rss_bytes', { pid: '101' })).toBe(1000);
  expect(valueOf(samples, 'prefork_child_rss_bytes', { pid: '102' })).toBeUndefined(); // no beat yet
});

test('a gone child leaves the gauges and keeps its served count in the total', () => {
  const board = new Scoreboard();
  const a = board.add(7, 1);
  a.update({ type: 'status', state: 'idle', since: 1, served: 9, inflight: 0 }, 2);
  board.end(a);
  expect(board.status({ generation: 1, maxWorkers: 1 })).toMatchObject({ served: 9, children: [], spawns: 1 });
  const samples = parseExposition(poolMetrics(board, { generation: 1 }));
  expect(valueOf(samples, 'prefork_served_total')).toBe(9);
  expect(valueOf(samples, 'prefork_workers', { state: 'idle' })).toBe(0);
});
