import { PassThrough } from 'node:stream';
import { Progress } from '../../../lib/cli/progress';

/**
 * The bar on a stream that is not a terminal (as --progress with stderr
 * redirected): cli-progress writes a line when the bar starts, one a second
 * (notTTYSchedule, a timer: fake here) and one at stop().
 */
function make(queue = false) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const progress = new Progress(stream as unknown as NodeJS.WriteStream, queue);
  return { progress, lines: () => text.split('\n').filter((line) => line !== '') };
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_700_000_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

test('nothing is drawn before the first job, and stop() or running() then draw nothing', () => {
  const { progress, lines } = make();
  progress.running(2);
  progress.stop();
  jest.advanceTimersByTime(5000);
  expect(lines()).toEqual([]);
});

test('the first job starts the bar at 0 of 1 (a total of 0 would draw it full)', () => {
  const { progress, lines } = make();
  progress.addJob();
  expect(lines()).toEqual([`${'░'.repeat(40)} 0/1 done | 0 failed | 0.0/s | ETA 0s`]);
});

test('each job read grows the total; each finished one moves the count, failures counted apart', () => {
  const { progress, lines } = make();
  for (let i = 0; i < 4; i++) progress.addJob();
  progress.finished(true);
  progress.finished(false);
  progress.finished(false);
  progress.stop();
  expect(lines().at(-1)).toMatch(/^█{30}░{10} 3\/4 done \| 2 failed \| /);
});

test('the rate is jobs done per second since the bar was made, to one decimal', () => {
  const { progress, lines } = make();
  for (let i = 0; i < 5; i++) progress.addJob();
  jest.setSystemTime(Date.now() + 2000);
  for (let i = 0; i < 5; i++) progress.finished(true);
  progress.stop();
  expect(lines().at(-1)).toMatch(/ 5\/5 done \| 0 failed \| 2\.5\/s \| /);
});

test('a line a second while jobs run (stderr not a terminal), with the latest counts', () => {
  const { progress, lines } = make();
  progress.addJob();
  progress.addJob();
  progress.finished(true);
  jest.advanceTimersByTime(1000);
  expect(lines().length).toBeGreaterThanOrEqual(2);
  expect(lines().at(-1)).toMatch(/ 1\/2 done \| 0 failed /);
  progress.stop();
});

test('queue mode: done, failed and running, no total and no ETA', () => {
  const { progress, lines } = make(true);
  progress.addJob();
  expect(lines()).toEqual(['0 done | 0 failed | 0 running | 0.0/s']);
  progress.addJob();
  progress.running(2);
  jest.setSystemTime(Date.now() + 4000);
  progress.finished(true);
  progress.finished(false);
  progress.running(0);
  progress.stop();
  expect(lines().at(-1)).toBe('2 done | 1 failed | 0 running | 0.5/s');
});

test('running() shows the count given, as of the next line drawn', () => {
  const { progress, lines } = make(true);
  progress.addJob();
  progress.running(3);
  progress.stop();
  expect(lines().at(-1)).toBe('0 done | 0 failed | 3 running | 0.0/s');
});

test('stop() ends the bar: no more lines after it', () => {
  const { progress, lines } = make();
  progress.addJob();
  progress.stop();
  const count = lines().length;
  jest.advanceTimersByTime(5000);
  expect(lines().length).toBe(count);
});
