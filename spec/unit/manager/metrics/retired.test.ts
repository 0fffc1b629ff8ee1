import { RetiredMetrics } from '../../../../lib/manager/metrics/retired';

const snapshot = (n: number, route = '/a'): unknown[] => [
  { name: 'jobs_total', help: 'Jobs', type: 'counter', aggregator: 'sum', values: [{ value: n, labels: { route } }] },
  { name: 'queue_depth', help: 'Depth', type: 'gauge', aggregator: 'sum', values: [{ value: 7, labels: {} }] },
  {
    name: 'job_seconds',
    help: 'Time',
    type: 'histogram',
    aggregator: 'sum',
    values: [
      { value: n, labels: { le: 1 }, metricName: 'job_seconds_bucket' },
      { value: n, labels: { le: '+Inf' }, metricName: 'job_seconds_bucket' },
      { value: n / 2, labels: {}, metricName: 'job_seconds_sum' },
      { value: n, labels: {}, metricName: 'job_seconds_count' },
    ],
  },
  { name: 'lat', help: 'Summary', type: 'summary', aggregator: 'sum', values: [{ value: 0.5, labels: { quantile: 0.5 } }, { value: n, labels: {}, metricName: 'lat_count' }] },
];

test('counters, histogram samples and summary counts of gone children add up per series; gauges and quantiles are dropped', () => {
  const retired = new RetiredMetrics();
  retired.fold(snapshot(3));
  retired.fold(snapshot(4));
  const json = retired.toJSON();
  expect(json.map((m) => m.name).sort()).toEqual(['job_seconds', 'jobs_total', 'lat']);
  expect(json.find((m) => m.name === 'jobs_total')!.values).toEqual([{ value: 7, labels: { route: '/a' } }]);
  const histogram = json.find((m) => m.name === 'job_seconds')!.values;
  expect(histogram).toContainEqual({ value: 7, labels: { le: '+Inf' }, metricName: 'job_seconds_bucket' });
  expect(histogram).toContainEqual({ value: 3.5, labels: {}, metricName: 'job_seconds_sum' });
  expect(json.find((m) => m.name === 'lat')!.values).toEqual([{ value: 7, labels: {}, metricName: 'lat_count' }]);
});

test('memory is bounded by the series, not by the children folded', () => {
  const retired = new RetiredMetrics();
  for (let i = 0; i < 10_000; i++) retired.fold(snapshot(1, `/r${i % 10}`));
  // 10 counter series + 4 histogram samples + 1 summary count.
  expect(retired.size).toBe(15);
  expect(retired.toJSON().find((m) => m.name === 'jobs_total')!.values.reduce((n, v) => n + v.value, 0)).toBe(10_000);
});

test('anything not shaped as prom-client JSON is skipped', () => {
  const retired = new RetiredMetrics();
  retired.fold([null, 3, { name: 'x' }, { name: 'y_total', type: 'counter', values: [{ value: 'no' }, { value: Infinity, labels: {} }, { value: 2, labels: null }] }]);
  expect(retired.toJSON()).toEqual([{ name: 'y_total', help: undefined, type: 'counter', values: [{ value: 2, labels: {} }] }]);
});
