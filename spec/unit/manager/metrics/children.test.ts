import { Counter, Histogram, Registry, AggregatorRegistry } from 'prom-client';
import { childMetrics } from '../../../../lib/manager/metrics/children';
import { parseExposition } from '../../../support/control';

async function childRegistry(seed: number, reverse = false): Promise<unknown[]> {
  const registry = new Registry();
  const counter = new Counter({ name: 'req_total', help: 'Requests', labelNames: ['route', 'code'], registers: [registry] });
  const histogram = new Histogram({ name: 'req_seconds', help: 'Latency', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
  const routes = ['/a', '/b', '/c'];
  for (const route of reverse ? [...routes].reverse() : routes) {
    counter.inc({ route, code: '200' }, seed);
    histogram.observe({ route }, seed / 10);
  }
  return registry.getMetricsAsJSON();
}

test('the sum equals prom-client aggregate() of the same snapshots, whatever the series order', async () => {
  const snapshots = [await childRegistry(1), await childRegistry(2, true), await childRegistry(5)];
  const ours = await childMetrics(snapshots);
  const theirs = await AggregatorRegistry.aggregate(snapshots).metrics();
  const sorted = (text: string): string[] => text.split('\n').sort();
  expect(sorted(ours)).toEqual(sorted(theirs));
  const samples = parseExposition(ours);
  expect(samples.find((s) => s.name === 'req_total' && s.labels.route === '/b')!.value).toBe(8);
  expect(samples.find((s) => s.name === 'req_seconds_count' && s.labels.route === '/a')!.value).toBe(3);
});

test('the input is not changed (a child snapshot is scraped again until its next beat)', async () => {
  const snapshot = await childRegistry(3);
  const copy = JSON.parse(JSON.stringify(snapshot)) as unknown;
  await childMetrics([snapshot, snapshot]);
  await childMetrics([snapshot, snapshot]);
  expect(snapshot).toEqual(copy);
});

test("a child's malformed metrics and names of the pool are left out, the rest is served", async () => {
  const good = await childRegistry(1);
  const bad = [
    null,
    'text',
    { name: 'prefork_workers', help: 'x', type: 'gauge', values: [{ value: 99, labels: {} }] },
    { name: 'bad name', help: 'x', type: 'counter', values: [] },
    { name: 'weird_total', help: 'x', type: 'counter', aggregator: 'explode', values: [{ value: 1, labels: {} }] },
    { name: 'odd_total', help: 'x', type: 'counter', values: [{ value: 'NaN', labels: {} }, { value: 2 }] },
  ];
  const text = await childMetrics([good, bad]);
  const samples = parseExposition(text);
  expect(samples.some((s) => s.name.startsWith('prefork_') || s.name === 'weird_total')).toBe(false);
  expect(samples.find((s) => s.name === 'odd_total')!.value).toBe(2);
  expect(await childMetrics([])).toBe('');
});
