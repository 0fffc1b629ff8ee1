import { Heartbeat } from '../../../lib/queue/heartbeat';

describe('queue/heartbeat', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('beats every interval while it holds jobs, and not at all once nothing is held', async () => {
    let held = 0;
    let beats = 0;
    const heartbeat = new Heartbeat(1000, () => held > 0, () => Promise.resolve(void beats++));
    heartbeat.update();
    jest.advanceTimersByTime(5000);
    expect(beats).toBe(0); // nothing held: no timer at all
    held = 2;
    heartbeat.update();
    heartbeat.update(); // a second fetch starts no second timer
    await jest.advanceTimersByTimeAsync(999);
    expect(beats).toBe(0); // the fetch itself gave the new jobs their first expiry
    await jest.advanceTimersByTimeAsync(3001);
    expect(beats).toBe(4);
    held = 0;
    heartbeat.update();
    await jest.advanceTimersByTimeAsync(5000);
    expect(beats).toBe(4);
    expect(jest.getTimerCount()).toBe(0); // no timer left behind
    await heartbeat.stop();
  });

  test('a slow beat is never doubled: one more runs after it when one fell due meanwhile; stop() waits for the one in flight', async () => {
    let running = 0;
    let most = 0;
    let beats = 0;
    let release: (() => void) | undefined;
    const heartbeat = new Heartbeat(100, () => true, () => {
      beats++;
      most = Math.max(most, ++running);
      return new Promise<void>((resolve) => (release = () => { running--; resolve(); }));
    });
    heartbeat.update();
    await jest.advanceTimersByTimeAsync(1000); // ten intervals, the first beat hanging from the first on
    expect(beats).toBe(1);
    release!();
    await jest.advanceTimersByTimeAsync(0);
    expect(beats).toBe(2); // the one that fell due meanwhile
    expect(most).toBe(1);
    const stopped = heartbeat.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    release!();
    await stopped;
    await jest.advanceTimersByTimeAsync(1000);
    expect(beats).toBe(2);
  });
});
