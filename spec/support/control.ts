/** Talking to a manager's control socket in tests, and reading the Prometheus text format strictly. */
import net from 'node:net';

/** One request, one reply (the first line the manager sends back). */
export function ask(socketPath: string, request: unknown, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(request)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(JSON.parse(text.slice(0, newline)) as Record<string, unknown>);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(typeof request === 'string' ? request : JSON.stringify(request) + '\n');
  });
}

/**
 * Asks `request` until `check(reply)` returns something other than undefined (the manager's
 * state moves with beats and exits), at most `timeoutMs`; each ask waits for its reply first.
 */
export async function askUntil<T>(socketPath: string, request: unknown, check: (reply: Record<string, unknown>) => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    try {
      last = await ask(socketPath, request);
    } catch (err) {
      // Not listening yet (the socket is made at the first start()): wait and ask again.
      if (!['ENOENT', 'ECONNREFUSED'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const result = check(last);
    if (result !== undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last reply: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/y;

/**
 * Parses text format 0.0.4 by its rules, throwing at the first violation: every sample's
 * metric has one # TYPE (and # HELP) before its samples and not again later; names and
 * label names are valid; label values escape only \\, \" and \n; values are floats
 * (or +Inf, -Inf, NaN); histogram buckets are cumulative and end with le="+Inf" = _count.
 */
export function parseExposition(text: string): Sample[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const samples: Sample[] = [];
  const familyOf = (name: string): string => {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
    }
    return name;
  };
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!NAME.test(name)) throw new Error(`bad metric name in ${JSON.stringify(line)}`);
      if (kind === 'TYPE') {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest.join(' '))) throw new Error(`bad type in ${JSON.stringify(line)}`);
        types.set(name, rest.join(' '));
      } else {
        if (helps.has(name)) throw new Error(`second HELP for ${name}`);
        helps.add(name);
      }
      if (current !== name) {
        if (current) finished.add(current);
        if (finished.has(name)) throw new Error(`${name} appears in two places`);
        current = name;
      }
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( \d+)?$/.exec(line);
    if (!match) throw new Error(`bad sample line ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = match;
    const family = familyOf(name);
    if (!types.has(family)) throw new Error(`sample ${name} before (or without) its TYPE`);
    if (family !== current) throw new Error(`sample ${name} is not with the other samples of ${family}`);
    const labels: Record<string, string> = {};
    if (labelText) {
      const inner = labelText.slice(1, -1);
      let at = 0;
      while (at < inner.length) {
        LABEL.lastIndex = at;
        const m = LABEL.exec(inner);
        if (!m) throw new Error(`bad labels in ${JSON.stringify(line)}`);
        if (m[1] in labels) throw new Error(`label ${m[1]} twice in ${JSON.stringify(line)}`);
        labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        at = LABEL.lastIndex;
        if (at < inner.length) {
          if (inner[at] !== ',') throw new Error(`bad labels in ${JSON.stringify(line)}`);
          at++;
        }
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value in ${JSON.stringify(line)}`);
    samples.push({ name, labels, value });
  }
  // Histograms: cumulative buckets, +Inf equal to _count, per label set.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), s]);
      if (le === undefined) throw new Error(`${family}_bucket without le`);
    }
    for (const [key, buckets] of groups) {
      for (let i = 1; i < buckets.length; i++) if (buckets[i].value < buckets[i - 1].value) throw new Error(`${family} buckets not cumulative for ${key}`);
      const last = buckets[buckets.length - 1];
      if (last.labels.le !== '+Inf') throw new Error(`${family} buckets do not end with +Inf for ${key}`);
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key);
      if (!count || count.value !== last.value) throw new Error(`${family}_count does not equal its +Inf bucket for ${key}`);
    }
  }
  return samples;
}

/** The value of the sample `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
