import { PassThrough } from 'node:stream';
import type { ResultRecord } from '../../../lib/cli/callbacks';
import { ResultWriter } from '../../../lib/cli/result-writer';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function make(ordered: boolean) {
  const destination = new PassThrough();
  let text = '';
  destination.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const writer = new ResultWriter(destination, ordered);
  const lines = () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ResultRecord);
  return { writer, destination, lines, text: () => text };
}

const ok = (job: number, ...result: [unknown?]): ResultRecord => ({ job, ok: true, result: result.length ? result[0] : job });

test('one NDJSON line per result', async () => {
  const { writer, destination, text } = make(false);
  writer.write(ok(0, { a: 'ü' }));
  writer.write({ job: 1, ok: false, error: 'bad' });
  await writer.end(destination);
  expect(text()).toBe('{"job":0,"ok":true,"result":{"a":"ü"}}\n{"job":1,"ok":false,"error":"bad"}\n');
});

test('unordered: results are written as they come', async () => {
  const { writer, lines } = make(false);
  writer.write(ok(2));
  writer.write(ok(0));
  await tick();
  expect(lines().map((r) => r.job)).toEqual([2, 0]);
});

test('ordered: a result waits for every job before it', async () => {
  const { writer, lines } = make(true);
  writer.write(ok(2));
  writer.write(ok(1));
  await tick();
  expect(lines()).toEqual([]);
  writer.write(ok(0));
  await tick();
  expect(lines().map((r) => r.job)).toEqual([0, 1, 2]);
  writer.write(ok(4));
  await tick();
  expect(lines().map((r) => r.job)).toEqual([0, 1, 2]);
  writer.write(ok(3));
  await tick();
  expect(lines().map((r) => r.job)).toEqual([0, 1, 2, 3, 4]);
});

test('a result of undefined is written as null; null and other falsy results as they are', async () => {
  const { writer, destination, lines } = make(false);
  writer.write(ok(0, undefined));
  writer.write(ok(1, null));
  writer.write(ok(2, 0));
  writer.write(ok(3, false));
  await writer.end(destination);
  expect(lines()).toEqual([ok(0, null), ok(1, null), ok(2, 0), ok(3, false)]);
});

test('the record given is not changed', () => {
  const { writer } = make(true);
  const record = ok(5, undefined);
  writer.write(record);
  expect(record).toEqual({ job: 5, ok: true, result: undefined });
});

test('end() writes what is held, in index order despite gaps, and resolves once it reached the destination', async () => {
  const { writer, destination, lines } = make(true);
  writer.write(ok(1));
  writer.write(ok(7));
  writer.write({ job: 3, ok: false, error: 'x' });
  await writer.end(destination);
  expect(lines().map((r) => r.job)).toEqual([1, 3, 7]);
});

test('end() does not end the destination (it is standard output)', async () => {
  const { writer, destination } = make(false);
  writer.write(ok(0));
  await writer.end(destination);
  expect(destination.writableEnded).toBe(false);
  expect(() => destination.write('more\n')).not.toThrow();
});
