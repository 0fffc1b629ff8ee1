import { LineSplitter } from '../../../lib/protocol/line-splitter';

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

test('a line one byte over the limit overflows, counting only its own bytes', () => {
  expect(split(['ok\n' + 'x'.repeat(1001) + '\n'], 1000)).toEqual({ lines: ['ok'], overflows: [1001], pending: 0 });
});

test('the limit counts the line’s bytes across chunks, not the newline', () => {
  expect(split(['x'.repeat(500), 'x'.repeat(500), '\n'], 1000).lines).toEqual(['x'.repeat(1000)]);
  expect(split(['x'.repeat(500), 'x'.repeat(501), '\n'], 1000).overflows).toEqual([1001]);
});

test('a chunk boundary at every position gives the same lines', () => {
  const text = 'alpha\nbeta\n\ngamma\r\ndé✓lta\n';
  const whole = split([text]).lines;
  expect(whole).toEqual(['alpha', 'beta', '', 'gamma\r', 'dé✓lta']);
  const bytes = Buffer.from(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    expect(split([bytes.subarray(0, cut), bytes.subarray(cut)]).lines).toEqual(whole);
  }
  // And one byte per chunk.
  expect(split([...bytes].map((b) => Buffer.from([b]))).lines).toEqual(whole);
});

test('a chunk ending exactly at a newline leaves nothing pending', () => {
  expect(split(['a\n', 'b\n'])).toEqual({ lines: ['a', 'b'], overflows: [], pending: 0 });
});

test('many lines in one chunk, each delivered in order', () => {
  const count = 10_000;
  const text = Array.from({ length: count }, (_, i) => `line ${i}`).join('\n') + '\n';
  const { lines, pending } = split([text], 64);
  expect(lines).toHaveLength(count);
  expect(lines[0]).toBe('line 0');
  expect(lines[count - 1]).toBe(`line ${count - 1}`);
  expect(pending).toBe(0);
});

test('pendingBytes counts the unfinished line as its pieces arrive', () => {
  const splitter = new LineSplitter(100, () => {}, () => {});
  splitter.push(Buffer.from('abc'));
  expect(splitter.pendingBytes).toBe(3);
  splitter.push(Buffer.from('de'));
  expect(splitter.pendingBytes).toBe(5);
  splitter.push(Buffer.from('\nxy'));
  expect(splitter.pendingBytes).toBe(2);
});

test('overflow drops what was held at once and ignores everything after', () => {
  const lines: Buffer[] = [];
  const overflows: number[] = [];
  const splitter = new LineSplitter(1000, (l) => lines.push(l), (n) => overflows.push(n));
  splitter.push(Buffer.alloc(900, 'a'));
  expect(splitter.pendingBytes).toBe(900);
  splitter.push(Buffer.alloc(200, 'b'));
  expect(overflows).toEqual([1100]);
  expect(splitter.pendingBytes).toBe(0); // memory let go at once, not when a newline comes
  splitter.push(Buffer.from('\nshort\n'));
  splitter.push(Buffer.alloc(5000, 'c'));
  expect(lines).toEqual([]);
  expect(overflows).toEqual([1100]);
  expect(splitter.pendingBytes).toBe(0);
});

test('an onLine callback that causes an overflow stops the rest of the chunk', () => {
  // An overflow can also be signalled while lines of the same chunk are delivered:
  // once overflowed, no further line of that chunk is delivered.
  const lines: string[] = [];
  const splitter = new LineSplitter(
    5,
    (l) => {
      lines.push(l.toString());
      if (lines.length === 1) splitter.push(Buffer.from('toolong!'));
    },
    () => {},
  );
  splitter.push(Buffer.from('one\ntwo\nthree\n'));
  expect(lines).toEqual(['one']);
});

test('a long line in many chunks is copied once: each chunk kept as is, joined in one concat', () => {
  const chunks = 2000;
  const chunkBytes = 1000;
  const concat = jest.spyOn(Buffer, 'concat');
  const indexOf = jest.spyOn(Buffer.prototype, 'indexOf');
  try {
    const lines: Buffer[] = [];
    const splitter = new LineSplitter(chunks * chunkBytes, (l) => lines.push(l), () => {});
    for (let i = 0; i < chunks; i++) splitter.push(Buffer.alloc(chunkBytes, 'x'));
    splitter.push(Buffer.from('\n'));
    expect(lines).toHaveLength(1);
    expect(lines[0].length).toBe(chunks * chunkBytes);
    // Linear: one scan per chunk (never a re-scan of what is pending), and one join
    // whose size is given, so it does not walk the pieces to count them.
    expect(indexOf.mock.calls.length).toBe(chunks + 2);
    expect(concat).toHaveBeenCalledTimes(1);
    // The pieces are the chunks themselves (plus the empty piece before the newline).
    const pieces = concat.mock.calls[0][0] as Buffer[];
    expect(pieces.length).toBeLessThanOrEqual(chunks + 1);
    expect(pieces.reduce((sum, piece) => sum + piece.length, 0)).toBe(chunks * chunkBytes);
    expect(concat.mock.calls[0][1]).toBe(chunks * chunkBytes);
  } finally {
    concat.mockRestore();
    indexOf.mockRestore();
  }
});

test('a single-piece line is handed over without a copy', () => {
  const chunk = Buffer.from('abc\n');
  let line: Buffer | undefined;
  new LineSplitter(10, (l) => (line = l), () => {}).push(chunk);
  expect(line!.buffer).toBe(chunk.buffer);
  expect(line!.toString()).toBe('abc');
});

test('borrowed chunks: one reused buffer, overwritten by every read, still gives every line intact', () => {
  const lines: string[] = [];
  const splitter = new LineSplitter(1024, (l) => lines.push(l.toString()), () => {});
  const reused = Buffer.alloc(8);
  // What an `onread` socket does: each read is written over the same memory.
  for (const text of ['one\ntwo', '-and-a-', 'half\nx\n', 'tail']) {
    reused.fill(0x2a); // garbage where the previous read was
    const bytes = reused.subarray(0, reused.write(text));
    splitter.push(bytes, true);
  }
  expect(lines).toEqual(['one', 'two-and-a-half', 'x']);
  expect(splitter.pendingBytes).toBe(4);
});

test('borrowed: a line wholly inside the chunk is passed on without a copy (a view of the chunk)', () => {
  const seen: Buffer[] = [];
  const splitter = new LineSplitter(1024, (l) => seen.push(l), () => {});
  const chunk = Buffer.from('abc\n');
  splitter.push(chunk, true);
  expect(seen[0].buffer).toBe(chunk.buffer);
});

describe('skipOverlong (the command job reader: a bad line fails alone)', () => {
  function skip(chunks: string[], max = 10) {
    const lines: string[] = [];
    const overflows: number[] = [];
    const splitter = new LineSplitter(max, (l) => lines.push(l.toString()), (n) => overflows.push(n), true);
    for (const chunk of chunks) splitter.push(Buffer.from(chunk));
    return { lines, overflows, pending: splitter.pendingBytes };
  }

  test('an overlong line ending in the same chunk is dropped; the next lines are read', () => {
    expect(skip(['a\n' + 'x'.repeat(11) + '\nb\n'])).toEqual({ lines: ['a', 'b'], overflows: [11], pending: 0 });
  });

  test('the rest of an overlong line over later chunks is dropped up to its newline, holding nothing', () => {
    const result = skip(['a\nxxxxxxxx', 'xxxxxxxx', 'xxxxxxxxxxxxxxx', 'xx\nb', 'c\n', 'y'.repeat(12), '\nd\n']);
    expect(result).toEqual({ lines: ['a', 'bc', 'd'], overflows: [16, 12], pending: 0 });
  });

  test('without it, an overflow ends the stream', () => {
    expect(split(['x'.repeat(11) + '\nb\n'], 10)).toEqual({ lines: [], overflows: [11], pending: 0 });
  });
});
