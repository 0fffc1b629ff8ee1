import { Writable } from 'node:stream';
import { flush } from '../../../lib/child/flush';

/** A stream whose writes are handed to "the OS" only when the test says so. */
function slowStream(): { stream: Writable; handOver: () => void; handed: string[] } {
  const handed: string[] = [];
  const pending: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _encoding, done) {
      pending.push(() => {
        handed.push(chunk.toString());
        done();
      });
    },
  });
  return { stream, handed, handOver: () => pending.splice(0).forEach((f) => f()) };
}

test('resolves only once everything written before it has been handed over', async () => {
  const { stream, handOver, handed } = slowStream();
  stream.write('first ');
  stream.write('second');
  let flushed = false;
  const done = flush(stream).then(() => (flushed = true));
  await new Promise((r) => setImmediate(r));
  expect(flushed).toBe(false); // nothing handed over yet
  for (let i = 0; i < 5 && !flushed; i++) {
    handOver();
    await new Promise((r) => setImmediate(r));
  }
  await done;
  expect(handed.join('')).toBe('first second');
});

test('a destroyed or ended stream: resolves at once instead of waiting forever', async () => {
  const destroyed = slowStream().stream;
  destroyed.destroy();
  await expect(flush(destroyed)).resolves.toBeUndefined();
  const ended = slowStream();
  ended.stream.end();
  ended.handOver();
  await expect(flush(ended.stream)).resolves.toBeUndefined();
});
