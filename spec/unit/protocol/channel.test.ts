import { PassThrough, Writable } from 'node:stream';
import { Channel, type ChannelEvents } from '../../../lib/protocol/channel';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A channel over two PassThroughs: `toChannel` is what the peer writes, `fromChannel` what it reads. */
function open(options: { maxLineBytes?: number; pause?: boolean; highWaterMark?: number } = {}) {
  const toChannel = new PassThrough();
  const fromChannel = new PassThrough({ highWaterMark: options.highWaterMark });
  const lines: string[] = [];
  const events = {
    line: jest.fn((line: Buffer) => void lines.push(line.toString('utf8'))),
    overflow: jest.fn(),
    drained: jest.fn(),
    closed: jest.fn(),
  } satisfies ChannelEvents;
  const channel = new Channel(toChannel, fromChannel, options.maxLineBytes ?? 1024, events, {
    pauseInputWhileBacklogged: options.pause,
  });
  const write = jest.spyOn(fromChannel, 'write');
  return { channel, toChannel, fromChannel, events, lines, write };
}

function readAll(stream: PassThrough): string {
  const parts: Buffer[] = [];
  for (let chunk: Buffer | null; (chunk = stream.read() as Buffer | null) !== null; ) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('reading', () => {
  test('lines from the peer arrive one by one, without their newline, across chunks', async () => {
    const { toChannel, lines } = open();
    toChannel.write('one\ntw');
    toChannel.write('o\nthree\n');
    await tick();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  test('a line over the limit reports overflow once and stops reading', async () => {
    const { toChannel, events, lines } = open({ maxLineBytes: 10 });
    toChannel.write('ok\n' + 'x'.repeat(11) + '\nlater\n');
    await tick();
    expect(lines).toEqual(['ok']);
    expect(events.overflow).toHaveBeenCalledTimes(1);
    expect(events.overflow).toHaveBeenCalledWith(11);
    expect(toChannel.isPaused()).toBe(true);
  });

  test('the limit counts the newline, as the sender does: a line of limit − 1 bytes passes, one of limit bytes overflows', async () => {
    const fits = open({ maxLineBytes: 10 });
    fits.toChannel.write('x'.repeat(9) + '\n');
    await tick();
    expect(fits.lines).toEqual(['x'.repeat(9)]);
    expect(fits.events.overflow).not.toHaveBeenCalled();
    const over = open({ maxLineBytes: 10 });
    over.toChannel.write('x'.repeat(10) + '\n');
    await tick();
    expect(over.lines).toEqual([]);
    expect(over.events.overflow).toHaveBeenCalledTimes(1);
  });

  test('inputCallsReceive: lines come from receive(), even from a reused buffer; data events are not read; end still closes', async () => {
    const toChannel = new PassThrough();
    const lines: string[] = [];
    const closed = jest.fn();
    const channel = new Channel(toChannel, new PassThrough(), 1024, { line: (l) => void lines.push(l.toString()), overflow: () => {}, closed }, { inputCallsReceive: true });
    const reused = Buffer.alloc(16);
    channel.receive(reused.subarray(0, reused.write('{"a":1}\n{"b"')));
    reused.fill(0);
    channel.receive(reused.subarray(0, reused.write(':2}\n')));
    toChannel.write('ignored\n'); // an onread socket emits no data: nothing may be read from 'data'
    await tick();
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(toChannel.readableLength).toBe('ignored\n'.length);
    // An onread socket still emits 'end' (the real one: spec/chaos.test.ts, the manager killed with SIGKILL).
    toChannel.emit('end');
    expect(closed).toHaveBeenCalledTimes(1);
  });

  test('closed is reported once, on EOF, even when close and error follow', async () => {
    const { channel, toChannel, events } = open();
    expect(channel.closed).toBe(false);
    toChannel.end();
    await tick();
    toChannel.emit('close');
    toChannel.emit('error', new Error('EPIPE'));
    expect(events.closed).toHaveBeenCalledTimes(1);
    expect(channel.closed).toBe(true);
  });

  test('a read error closes the channel and is not thrown at the user', () => {
    const { channel, toChannel, events } = open();
    toChannel.emit('error', new Error('ECONNRESET'));
    expect(events.closed).toHaveBeenCalledTimes(1);
    expect(channel.closed).toBe(true);
  });

  test('destroy() closes once', async () => {
    const { channel, events, toChannel, fromChannel } = open();
    channel.destroy();
    channel.destroy();
    await tick();
    expect(events.closed).toHaveBeenCalledTimes(1);
    expect(toChannel.destroyed && fromChannel.destroyed).toBe(true);
  });
});

describe('writing', () => {
  test('lines go out in order', async () => {
    const { channel, fromChannel } = open();
    channel.write('a\n');
    await tick();
    channel.write('b\n');
    channel.write('c\n');
    await tick();
    expect(readAll(fromChannel)).toBe('a\nb\nc\n');
  });

  test('the first line of a tick leaves at once; the later ones of that tick leave together in one write', async () => {
    const { channel, write } = open();
    const dones = [0, 1, 2, 3].map(() => jest.fn<void, [error?: Error | null]>());
    channel.write('1\n', dones[0]);
    expect(write).toHaveBeenCalledTimes(1);
    channel.write('2\n', dones[1]);
    channel.write('3\n'); // no done: the others are still told
    channel.write('4\n', dones[2]);
    expect(write).toHaveBeenCalledTimes(1);
    await tick();
    expect(write).toHaveBeenCalledTimes(2);
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['1\n', '2\n3\n4\n']);
    await tick();
    for (const done of dones.slice(0, 3)) expect(done).toHaveBeenCalledTimes(1);
    expect(dones[0].mock.calls[0][0] ?? null).toBeNull();
    expect(dones[1].mock.calls[0][0] ?? null).toBeNull();
    // The next tick starts afresh: its first line leaves at once.
    channel.write('5\n', dones[3]);
    expect(write).toHaveBeenCalledTimes(3);
  });

  test('together(): the lines written inside leave in one write when it returns', async () => {
    const { channel, write } = open();
    channel.together(() => {
      channel.write('ack\n');
      channel.write('next\n');
      expect(write).not.toHaveBeenCalled();
    });
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['ack\nnext\n']);
    // A line written later in the same tick is held for the end of the tick, as after any write.
    channel.write('later\n');
    expect(write).toHaveBeenCalledTimes(1);
    await tick();
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['ack\nnext\n', 'later\n']);
  });

  test('together() after a line already left in this tick: its lines join the end-of-tick write', async () => {
    const { channel, write } = open();
    channel.write('first\n');
    channel.together(() => {
      channel.write('a\n');
      channel.write('b\n');
    });
    expect(write).toHaveBeenCalledTimes(1);
    await tick();
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['first\n', 'a\nb\n']);
  });

  test('together(): lines written before fn throws still leave, and the error reaches the caller', () => {
    const { channel, write } = open();
    expect(() =>
      channel.together(() => {
        channel.write('sent\n');
        throw new Error('hook failed');
      }),
    ).toThrow('hook failed');
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['sent\n']);
  });

  test('lines held in a tick leave before destroy() closes the output', () => {
    const { channel, write } = open();
    channel.write('1\n');
    channel.write('2\n');
    channel.destroy();
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['1\n', '2\n']);
  });

  test('lines held in a tick leave on process exit', () => {
    const { channel, write } = open();
    channel.write('1\n');
    channel.write('2\n');
    process.emit('exit', 0);
    expect(write.mock.calls.map((call): unknown => call[0])).toEqual(['1\n', '2\n']);
  });

  test('a large ASCII line is written as latin1 bytes, a large non-ASCII one as a string, both round trip intact', async () => {
    const { channel, fromChannel, write } = open();
    const ascii = 'a'.repeat(1 << 20) + '\n';
    const text = 'é✓'.repeat(1 << 19) + '\n';
    channel.write('small\n');
    channel.write('held\n'); // held for the end of the tick…
    channel.write(ascii); // …and sent first, to keep the order
    channel.write(text);
    expect(write.mock.calls.map((call): unknown => (Buffer.isBuffer(call[0]) ? 'buffer' : call[0] === text ? 'text' : call[0]))).toEqual([
      'small\n',
      'held\n',
      'buffer',
      'text',
    ]);
    expect((write.mock.calls[2][0] as Buffer).length).toBe(ascii.length);
    await tick();
    expect(readAll(fromChannel)).toBe('small\nheld\n' + ascii + text);
  });

  test('a large line between two channels arrives as the same text', async () => {
    // Both ends: one channel's output is the other's input.
    const a2b = new PassThrough();
    const b2a = new PassThrough();
    const received: string[] = [];
    const noop = { overflow: () => {}, closed: () => {} };
    const a = new Channel(b2a, a2b, 8 << 20, { ...noop, line: () => {} });
    new Channel(a2b, b2a, 8 << 20, { ...noop, line: (line) => void received.push(line.toString('utf8')) });
    const ascii = '{"s":"' + 'q'.repeat(1 << 20) + '"}';
    const mixed = '{"s":"' + 'ü€𝄞'.repeat(300_000) + '"}';
    a.write(ascii + '\n');
    a.write(mixed + '\n');
    for (let i = 0; i < 50 && received.length < 2; i++) await tick();
    expect(received).toEqual([ascii, mixed]);
  });

  test('write after the output is destroyed reports an error to done, and throws nothing', () => {
    const { channel, fromChannel, write } = open();
    fromChannel.destroy();
    const done = jest.fn<void, [error?: Error | null]>();
    expect(() => channel.write('x\n', done)).not.toThrow();
    expect(done).toHaveBeenCalledTimes(1);
    expect(done.mock.calls[0][0]).toBeInstanceOf(Error);
    expect((done.mock.calls[0][0] as Error).message).toBe('channel closed');
    expect(write).not.toHaveBeenCalled();
  });

  test('write after destroy() reports an error to done', () => {
    const { channel } = open();
    channel.destroy();
    const done = jest.fn();
    channel.write('x\n', done);
    expect(done).toHaveBeenCalledWith(expect.objectContaining({ message: 'channel closed' }));
  });

  test('after an output error further writes are dropped with an error, the channel still reads', async () => {
    const { channel, fromChannel, toChannel, lines, events } = open();
    fromChannel.emit('error', new Error('EPIPE'));
    const done = jest.fn();
    channel.write('x\n', done);
    expect(done).toHaveBeenCalledWith(expect.objectContaining({ message: 'channel closed' }));
    toChannel.write('still read\n');
    await tick();
    expect(lines).toEqual(['still read']);
    expect(events.closed).not.toHaveBeenCalled();
  });

  test('lines held when the output dies report the error to each done', async () => {
    const { channel, fromChannel } = open();
    channel.write('first\n');
    const held = [jest.fn(), jest.fn()];
    channel.write('a\n', held[0]);
    channel.write('b\n', held[1]);
    fromChannel.destroy();
    await tick();
    for (const done of held) expect(done).toHaveBeenCalledWith(expect.objectContaining({ message: 'channel closed' }));
  });
});

describe('backpressure', () => {
  test('with pauseInputWhileBacklogged, a full output pauses input until drain, then resumes and reports drained', async () => {
    const { channel, toChannel, fromChannel, events, lines } = open({ pause: true, highWaterMark: 16 });
    channel.write('x'.repeat(64) + '\n');
    expect(channel.backlogged).toBe(true);
    expect(toChannel.isPaused()).toBe(true);
    toChannel.write('waits\n');
    await tick();
    expect(lines).toEqual([]);
    expect(events.drained).not.toHaveBeenCalled();

    readAll(fromChannel); // the peer takes what we wrote
    await tick();
    expect(events.drained).toHaveBeenCalledTimes(1);
    expect(channel.backlogged).toBe(false);
    expect(toChannel.isPaused()).toBe(false);
    await tick();
    expect(lines).toEqual(['waits']);
  });

  test('without the option, a full output neither pauses input nor reports backlog', async () => {
    const { channel, toChannel, fromChannel, events, lines } = open({ highWaterMark: 16 });
    channel.write('x'.repeat(64) + '\n');
    expect(channel.backlogged).toBe(false);
    toChannel.write('read\n');
    await tick();
    expect(lines).toEqual(['read']);
    readAll(fromChannel);
    await tick();
    expect(events.drained).not.toHaveBeenCalled();
  });

  test('a drain after an overflow does not resume reading', async () => {
    const { channel, toChannel, fromChannel, events } = open({ pause: true, highWaterMark: 16, maxLineBytes: 8 });
    toChannel.write('far too long\n');
    await tick();
    expect(events.overflow).toHaveBeenCalledTimes(1);
    channel.write('x'.repeat(64) + '\n');
    expect(channel.backlogged).toBe(true);
    readAll(fromChannel);
    await tick();
    expect(events.drained).toHaveBeenCalledTimes(1);
    expect(toChannel.isPaused()).toBe(true);
  });

  test('readPaused stops reading until set back; a drain meanwhile does not resume it', async () => {
    const { channel, toChannel, fromChannel, events, lines } = open({ pause: true, highWaterMark: 16 });
    channel.readPaused = true;
    toChannel.write('waits\n');
    await tick();
    expect(lines).toEqual([]);
    // Output backlogged and drained while reading is paused by the user: still paused.
    channel.write('x'.repeat(64) + '\n');
    readAll(fromChannel);
    await tick();
    expect(events.drained).toHaveBeenCalledTimes(1);
    expect(toChannel.isPaused()).toBe(true);
    expect(lines).toEqual([]);
    channel.readPaused = false;
    await tick();
    expect(lines).toEqual(['waits']);
  });

  test('readPaused set back while the output is still backlogged: reading waits for the drain too', async () => {
    const { channel, toChannel, fromChannel, lines } = open({ pause: true, highWaterMark: 16 });
    channel.readPaused = true;
    channel.write('x'.repeat(64) + '\n');
    toChannel.write('waits\n');
    channel.readPaused = false;
    await tick();
    expect(lines).toEqual([]);
    readAll(fromChannel);
    await tick();
    await tick();
    expect(lines).toEqual(['waits']);
  });
});

describe('setRef', () => {
  test('refs or unrefs both streams when they can be', () => {
    const input = Object.assign(new PassThrough(), { ref: jest.fn(), unref: jest.fn() });
    const output = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { ref: jest.fn(), unref: jest.fn() });
    const channel = new Channel(input, output, 100, { line: () => {}, overflow: () => {}, closed: () => {} });
    channel.setRef(false);
    expect(input.unref).toHaveBeenCalledTimes(1);
    expect(output.unref).toHaveBeenCalledTimes(1);
    channel.setRef(true);
    expect(input.ref).toHaveBeenCalledTimes(1);
    expect(output.ref).toHaveBeenCalledTimes(1);
    // Plain streams have no ref(): nothing to do, nothing thrown.
    expect(() => open().channel.setRef(false)).not.toThrow();
  });
});
