/**
 * The children's own metrics: each live child's last snapshot (prom-client's
 * `getMetricsAsJSON()`, shipped with its beat), the retired totals of the
 * children that are gone (retired.ts), and the manager's own registry when
 * `ppi.exportMetrics()` was called there, summed per series by prom-client's
 * `AggregatorRegistry.aggregate()` and rendered by prom-client. prom-client is
 * an optional peer dependency, loaded only when there is something to render.
 *
 * A child's snapshot is untrusted input: a metric whose shape or aggregator
 * prom-client would choke on is left out rather than failing the scrape, and
 * names beginning with `prefork_` belong to the pool's own metrics.
 */
import type { MetricJSON } from './retired';

/** The aggregators prom-client knows (metricAggregators.js). */
const AGGREGATORS = new Set(['sum', 'first', 'min', 'max', 'average', 'omit']);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary']);

interface PromRegistry {
  metrics(): Promise<string>;
}
interface PromClient {
  AggregatorRegistry: { aggregate(snapshots: MetricJSON[][]): PromRegistry };
}

let loaded: PromClient | undefined;

/** prom-client, or an Error saying it is missing. */
export function promClient(): PromClient {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer dependency, loaded on first use
    loaded = require('prom-client') as PromClient;
    return loaded;
  } catch (err) {
    throw new Error(`the children export metrics, and rendering them needs the package prom-client (npm install prom-client): ${(err as Error).message}`);
  }
}

function clean(snapshot: readonly unknown[]): MetricJSON[] {
  const kept: MetricJSON[] = [];
  for (const item of snapshot) {
    const metric = item as Partial<MetricJSON> | null;
    if (typeof metric !== 'object' || metric === null) continue;
    if (typeof metric.name !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name) || metric.name.startsWith('prefork_')) continue;
    if (typeof metric.type !== 'string' || !TYPES.has(metric.type) || !Array.isArray(metric.values)) continue;
    const aggregator = metric.aggregator ?? 'sum';
    if (!AGGREGATORS.has(aggregator)) continue;
    const values = metric.values.filter(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof v.value === 'number' &&
        (v.labels === undefined || (typeof v.labels === 'object' && v.labels !== null)) &&
        (v.metricName === undefined || typeof v.metricName === 'string'),
    );
    kept.push({ name: metric.name, help: typeof metric.help === 'string' ? metric.help : metric.name, type: metric.type, aggregator, values: values.map((v) => ({ ...v, labels: v.labels ?? {} })) });
  }
  return kept;
}

/** The summed exposition of `snapshots`; '' when there is none. */
export async function childMetrics(snapshots: ReadonlyArray<readonly unknown[]>): Promise<string> {
  const cleaned = snapshots.map(clean).filter((snapshot) => snapshot.length > 0);
  if (cleaned.length === 0) return '';
  const registry = promClient().AggregatorRegistry.aggregate(cleaned);
  return registry.metrics();
}
