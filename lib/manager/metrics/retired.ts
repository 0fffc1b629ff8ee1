/**
 * What children that are gone leave in the metrics: the sum of their last
 * snapshots, per series. A counter summed over the live children drops when
 * one of them ends (a recycle, a crash, a SIGKILL) unless what it had counted
 * stays somewhere: here. Folding the last snapshot a child sent keeps
 * `rate(counter[1m])` from ever seeing a reset; a SIGKILLed child loses what
 * it counted after its last beat, at most one beat's worth.
 *
 * Memory is bounded by the number of series (metric name × label values),
 * not by the number of children that ever lived: each fold adds into the
 * entry of its series. Counters and histograms (buckets, sum, count) are
 * folded; a summary's `_sum` and `_count` too (its quantiles cannot be
 * summed); a gauge is not (a dead child's gauge is no longer true).
 *
 * The snapshots are prom-client's `getMetricsAsJSON()`; this file only adds
 * numbers and needs no prom-client itself.
 */

/** One metric as prom-client's getMetricsAsJSON() gives it (only what is read here). */
export interface MetricJSON {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

interface Series {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

function isMetric(value: unknown): value is MetricJSON {
  const metric = value as MetricJSON | null;
  return typeof metric === 'object' && metric !== null && typeof metric.name === 'string' && typeof metric.type === 'string' && Array.isArray(metric.values);
}

/** The series key: its sample name and its labels in a fixed order. */
function keyOf(metricName: string, labels: Record<string, string | number>): string {
  const names = Object.keys(labels).sort();
  let key = metricName;
  for (const name of names) key += `\u0000${name}=${String(labels[name])}`;
  return key;
}

/** Which samples of a metric of this type stay meaningful when added up after the child is gone. */
function folds(type: string, sample: string, name: string): boolean {
  if (type === 'counter' || type === 'histogram') return true;
  if (type === 'summary') return sample === `${name}_sum` || sample === `${name}_count`;
  return false;
}

export class RetiredMetrics {
  readonly #metrics = new Map<string, { name: string; help: string; type: string; aggregator?: string; series: Map<string, Series> }>();

  /** Adds one child's last snapshot. Anything not shaped like prom-client's JSON is skipped. */
  fold(snapshot: readonly unknown[]): void {
    for (const metric of snapshot) {
      if (!isMetric(metric)) continue;
      let entry = this.#metrics.get(metric.name);
      for (const sample of metric.values) {
        if (typeof sample?.value !== 'number' || !Number.isFinite(sample.value)) continue;
        const labels = typeof sample.labels === 'object' && sample.labels !== null ? sample.labels : {};
        const sampleName = typeof sample.metricName === 'string' ? sample.metricName : metric.name;
        if (!folds(metric.type, sampleName, metric.name)) continue;
        if (!entry) {
          entry = { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator, series: new Map() };
          this.#metrics.set(metric.name, entry);
        }
        const key = keyOf(sampleName, labels);
        const series = entry.series.get(key);
        if (series) series.value += sample.value;
        else entry.series.set(key, { value: sample.value, labels: { ...labels }, ...(sample.metricName === undefined ? {} : { metricName: sample.metricName }) });
      }
    }
  }

  /** Series held (the memory bound). */
  get size(): number {
    let size = 0;
    for (const entry of this.#metrics.values()) size += entry.series.size;
    return size;
  }

  /** The totals, shaped as one more child's getMetricsAsJSON(), for prom-client's aggregate(). */
  toJSON(): MetricJSON[] {
    return [...this.#metrics.values()].map(({ name, help, type, aggregator, series }) => ({
      name,
      help,
      type,
      ...(aggregator === undefined ? {} : { aggregator }),
      values: [...series.values()].map((s) => ({ ...s, labels: { ...s.labels } })),
    }));
  }
}
