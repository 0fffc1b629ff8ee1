import { PassThrough } from 'node:stream';
import { JobReader, MAX_JOB_LINE_BYTES, type InputRecord } from '../../../lib/cli/job-reader';

function read(chunks: Array<string | Buffer>): Promise<{ records: InputRecord[]; error: Error | undefined; ends: number }> {
  const input = new PassThrough();
  const records: InputRecord[] = [];
  let ends = 0;
  return new Promise((resolve) => {
    new JobReader(input, {
      record: (record) => records.push(record),
      end: (error) => {
        ends++;
        setImmediate(() => resolve({ records, error, ends }));
      },
    });
    for (const chunk of chunks) input.write(chunk);
    input.end();
  });
}

test('each line is a job, numbered from 1', async () => {
  const { records, error } = await read(['{"a":1}\n', '[2]\n"three"\n']);
  expect(error).toBeUndefined();
  expect(records).toEqual([
    { line: 1, ok: true, job: { a: 1 } },
    { line: 2, ok: true, job: [2] },
    { line: 3, ok: true, job: 'three' },
  ]);
});

test('a line split across chunks is one job', async () => {
  const { records } = await read(['{"na', 'me":"x', '"}\n']);
  expect(records).toEqual([{ line: 1, ok: true, job: { name: 'x' } }]);
});

test('blank lines, CRLF ones and whitespace-only ones, are skipped but still counted', async () => {
  const { records } = await read(['1\n\n\r\n \t\r\n2\r\n']);
  expect(records).toEqual([
    { line: 1, ok: true, job: 1 },
    { line: 5, ok: true, job: 2 },
  ]);
});

test('a bad line is a failed record naming its line; later lines are still read', async () => {
  const { records, error } = await read(['1\n{oops\n1 2\n3\n']);
  expect(error).toBeUndefined();
  expect(records[0]).toEqual({ line: 1, ok: true, job: 1 });
  expect(records[1]).toMatchObject({ line: 2, ok: false });
  expect((records[1] as { error: string }).error).toMatch(/^line 2: not valid JSON \(.+\)$/);
  expect(records[2]).toMatchObject({ line: 3, ok: false, error: expect.stringMatching(/^line 3: not valid JSON/) as unknown });
  expect(records[3]).toEqual({ line: 4, ok: true, job: 3 });
});

test('null, false, 0 and "" are jobs like any other', async () => {
  const { records } = await read(['null\nfalse\n0\n""\n5\n']);
  expect(records.map((r) => (r.ok ? r.job : r.error))).toEqual([null, false, 0, '', 5]);
});

test('a last line without its newline is read', async () => {
  const { records, error } = await read(['1\n{"last":true}']);
  expect(error).toBeUndefined();
  expect(records).toEqual([
    { line: 1, ok: true, job: 1 },
    { line: 2, ok: true, job: { last: true } },
  ]);
});

test('an empty input has no jobs and ends once', async () => {
  expect(await read([])).toEqual({ records: [], error: undefined, ends: 1 });
});

test('UTF-8 cut between chunks decodes whole', async () => {
  const bytes = Buffer.from('"ü✓"\n');
  const { records } = await read([bytes.subarray(0, 2), bytes.subarray(2, 4), bytes.subarray(4)]);
  expect(records).toEqual([{ line: 1, ok: true, job: 'ü✓' }]);
});

test('a line over the limit fails alone, naming its line; the lines after it are read', async () => {
  const chunk = Buffer.alloc(16 * 1024 * 1024, 0x20); // spaces: valid, and cheap to make
  const chunks = ['1\n', '2\n'];
  for (let sent = 0; sent <= MAX_JOB_LINE_BYTES; sent += chunk.length) chunks.push(chunk as unknown as string);
  chunks.push('  \n4\n', 'x'.repeat(10), '\n5\n');
  const { records, error, ends } = await read(chunks);
  expect(error).toBeUndefined();
  expect(ends).toBe(1);
  expect(records.map((r) => [r.line, r.ok])).toEqual([
    [1, true],
    [2, true],
    [3, false],
    [4, true],
    [5, false],
    [6, true],
  ]);
  expect((records[2] as { error: string }).error).toMatch(
    new RegExp(`^line 3: longer than ${MAX_JOB_LINE_BYTES} bytes \\(the limit for one job line; \\d+ read before it was dropped\\)$`),
  );
  expect(records[3]).toEqual({ line: 4, ok: true, job: 4 });
});

test('an input error ends the reading with that error', () => {
  const input = new PassThrough();
  const end = jest.fn<void, [error?: Error]>();
  new JobReader(input, { record: () => {}, end });
  input.emit('error', new Error('EIO'));
  input.emit('end');
  expect(end).toHaveBeenCalledTimes(1);
  expect(end.mock.calls[0][0]).toEqual(new Error('EIO'));
});

test('close() stops the stream: no record after it, end reported once without error', async () => {
  const input = new PassThrough();
  const records: InputRecord[] = [];
  const end = jest.fn<void, [error?: Error]>();
  const reader = new JobReader(input, { record: (r) => records.push(r), end });
  input.write('1\n');
  await new Promise((resolve) => setImmediate(resolve));
  reader.close();
  expect(end).toHaveBeenCalledTimes(1);
  expect(end.mock.calls[0][0]).toBeUndefined();
  expect(input.isPaused()).toBe(true);
  input.write('2\n');
  input.end();
  reader.resume(); // does nothing once ended
  await new Promise((resolve) => setImmediate(resolve));
  expect(records).toEqual([{ line: 1, ok: true, job: 1 }]);
  expect(end).toHaveBeenCalledTimes(1);
});

test('pause() and resume() hold and release the input', async () => {
  const input = new PassThrough();
  const records: InputRecord[] = [];
  const reader = new JobReader(input, { record: (r) => records.push(r), end: () => {} });
  reader.pause();
  input.write('1\n');
  await new Promise((resolve) => setImmediate(resolve));
  expect(records).toEqual([]);
  reader.resume();
  await new Promise((resolve) => setImmediate(resolve));
  expect(records).toEqual([{ line: 1, ok: true, job: 1 }]);
});

test('close() from a record handler drops the rest of the chunk already read', async () => {
  const input = new PassThrough();
  const records: InputRecord[] = [];
  const end = jest.fn();
  const reader = new JobReader(input, {
    record: (record) => {
      records.push(record);
      reader.close();
    },
    end,
  });
  input.write('1\n2\n3\n');
  await new Promise((resolve) => setImmediate(resolve));
  expect(records).toEqual([{ line: 1, ok: true, job: 1 }]);
  expect(end).toHaveBeenCalledTimes(1);
});
