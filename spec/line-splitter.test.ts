import { LineSplitter } from '../lib/protocol/line-splitter';

function split(chunks: Array<string | Buffer>, max = 1024) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const splitter = new LineSplitter(max, (l) => lines.push(l.toString()), (n) => overflows.push(n));
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return { lines, overflows, pending: splitter.pendingBytes };
}

test('lines split across chunks, several lines in one chunk, and empty lines', () => {
  expect(split(['ab', 'c\nde', 'f\n\ng\nh'])).toEqual({ lines: ['abc', 'def', '', 'g'], overflows: [], pending: 1 });
});

test('a multi-byte character cut between chunks is joined before decoding', () => {
  const bytes = Buffer.from('ü✓\n');
  expect(split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)]).lines).toEqual(['ü✓']);
});

test('a line longer than the limit is reported once and nothing more is kept', () => {
  const result = split(['x'.repeat(600), 'y'.repeat(600), 'z\nmore\n'], 1000);
  expect(result.overflows).toEqual([1200]);
  expect(result.lines).toEqual([]);
  expect(result.pending).toBe(0);
});

test('a line exactly at the limit passes', () => {
  expect(split(['x'.repeat(1000) + '\n'], 1000).lines[0]).toHaveLength(1000);
});
