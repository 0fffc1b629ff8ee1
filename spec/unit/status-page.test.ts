import type { IncomingMessage, ServerResponse } from 'node:http';
import { autoPage, metricsHandler, statusHandler, textPage } from '../../lib/status-page';
import type { ChildStatus, PoolStatus } from '../../lib/view';

const NOW = 1_700_000_000_000;

function child(over: Partial<ChildStatus> = {}): ChildStatus {
  return {
    pid: 100,
    slot: 0,
    generation: 1,
    lifetime: 1,
    phase: 'ready',
    state: 'idle',
    since: NOW - 3000,
    served: 7,
    inflight: 0,
    elu: 0.125,
    rss: 50 * 1048576,
    heapUsed: 0,
    lastBeat: NOW,
    startedAt: NOW - 10_000,
    ...over,
  };
}

function pool(over: Partial<PoolStatus> = {}): PoolStatus {
  return {
    pid: 1,
    generation: 1,
    maxWorkers: 4,
    busy: 1,
    idle: 2,
    starting: 0,
    stopping: 0,
    uptime: 5,
    served: 42,
    spawns: 3,
    lifetimes: 3,
    children: [],
    ...over,
  };
}

describe('textPage', () => {
  test('the header lines, in ServerStatus::Lite order, then the column line', () => {
    const page = textPage(pool({ uptime: 5, busy: 1, idle: 2, starting: 3, stopping: 4, served: 42 }), NOW);
    expect(page).toBe(
      [
        'Uptime: 5 (5 seconds)',
        'BusyWorkers: 1',
        'IdleWorkers: 2',
        'StartingWorkers: 3',
        'StoppingWorkers: 4',
        'TotalServed: 42',
        '--',
        'pid slot generation phase state served inflight elu rss_mb ss note',
        '',
      ].join('\n'),
    );
  });

  test.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [61, '1 minute, 1 second'],
    [3600, '1 hour'],
    [7322, '2 hours, 2 minutes, 2 seconds'],
    [86400, '1 day'],
    [90061, '1 day, 1 hour, 1 minute, 1 second'],
    [2 * 86400 + 5, '2 days, 5 seconds'],
  ])('an uptime of %p s reads "%s"', (uptime, words) => {
    expect(textPage(pool({ uptime }), NOW).split('\n')[0]).toBe(`Uptime: ${uptime} (${words})`);
  });

  test('one line per child: elu to 2 places, rss in MB to 1, seconds in its state rounded', () => {
    const page = textPage(pool({ children: [child({ pid: 321, slot: 2, generation: 3, phase: 'ready', state: 'busy', served: 9, inflight: 1, elu: 0.5, rss: 1.25 * 1048576, since: NOW - 2600, note: 'GET /x' })] }), NOW);
    expect(page.split('\n').slice(8, -1)).toEqual(['321 2 3 ready busy 9 1 0.50 1.3 3 GET /x']);
  });

  test('a child without a slot shows "-", without a note an empty last column', () => {
    const page = textPage(pool({ children: [child({ pid: 5, slot: undefined, note: undefined })] }), NOW);
    expect(page.split('\n')[8]).toBe('5 - 1 ready idle 7 0 0.13 50.0 3 ');
  });

  test('a child whose state began after `now` (clock skew) shows 0 seconds, not a negative number', () => {
    const page = textPage(pool({ children: [child({ since: NOW + 5000, note: 'n' })] }), NOW);
    expect(page.split('\n')[8].split(' ')[9]).toBe('0');
  });

  test('children keep their order and the page ends with one newline', () => {
    const page = textPage(pool({ children: [child({ pid: 1 }), child({ pid: 2 }), child({ pid: 3 })] }), NOW);
    expect(page.split('\n').slice(8).map((l) => l.split(' ')[0])).toEqual(['1', '2', '3', '']);
    expect(page.endsWith('\n') && !page.endsWith('\n\n')).toBe(true);
  });

  test('now defaults to the current time', () => {
    const page = textPage(pool({ children: [child({ since: Date.now() - 60_000 })] }));
    const ss = Number(page.split('\n')[8].split(' ')[9]);
    expect(ss).toBeGreaterThanOrEqual(60);
    expect(ss).toBeLessThan(120);
  });
});

describe('autoPage', () => {
  test("Apache mod_status's keys, with the scoreboard: S starting, G stopping, _ idle, W busy (or any other state), . free", () => {
    const status = pool({
      maxWorkers: 7,
      served: 11,
      uptime: 99,
      busy: 2,
      idle: 1,
      children: [
        child({ phase: 'starting', state: 'idle' }),
        child({ phase: 'stopping', state: 'busy' }),
        child({ phase: 'ready', state: 'idle' }),
        child({ phase: 'ready', state: 'busy' }),
        child({ phase: 'ready', state: 'flushing' }),
      ],
    });
    expect(autoPage(status)).toBe('Total Accesses: 11\nUptime: 99\nBusyWorkers: 2\nIdleWorkers: 1\nScoreboard: SG_WW..\n');
  });

  test('more children than maxWorkers (a surge during a reload): each has its letter, none is cut', () => {
    const status = pool({ maxWorkers: 1, children: [child(), child({ state: 'busy' }), child({ phase: 'starting' })] });
    expect(autoPage(status)).toMatch(/\nScoreboard: _WS\n$/);
  });

  test('no children: every slot free', () => {
    expect(autoPage(pool({ maxWorkers: 3 }))).toMatch(/\nScoreboard: \.\.\.\n$/);
  });
});

/** A response stand-in: what writeHead and end were given, and a promise that settles at end(). */
function response() {
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const sent: { code?: number; headers?: Record<string, string>; body?: string } = {};
  const res = {
    writeHead(code: number, headers: Record<string, string>) {
      sent.code = code;
      sent.headers = headers;
      return this;
    },
    end(body: string) {
      sent.body = body;
      ended();
      return this;
    },
  };
  return { res: res as unknown as ServerResponse, sent, done };
}

function request(url: string | undefined): IncomingMessage {
  return { url } as IncomingMessage;
}

describe('statusHandler', () => {
  const status = pool({ children: [child({ pid: 77 })] });

  test('?json: the status as it is, as JSON, not cached', async () => {
    const { res, sent, done } = response();
    statusHandler(() => Promise.resolve(status))(request('/status?json'), res);
    await done;
    expect(sent.code).toBe(200);
    expect(sent.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    expect(JSON.parse(sent.body!)).toEqual(status);
  });

  test('?auto: the mod_status page', async () => {
    const { res, sent, done } = response();
    statusHandler(() => Promise.resolve(status))(request('/server-status?auto'), res);
    await done;
    expect(sent.code).toBe(200);
    expect(sent.headers).toEqual({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    expect(sent.body).toBe(autoPage(status));
  });

  test.each([['/status'], ['/status?other=1'], [undefined]])('%p: the text page', async (url) => {
    const { res, sent, done } = response();
    statusHandler(() => Promise.resolve(status))(request(url), res);
    await done;
    expect(sent.code).toBe(200);
    expect(sent.headers!['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(sent.body).toMatch(/^Uptime: 5 \(5 seconds\)\n[^]*\n77 0 1 ready idle /);
  });

  test('?json wins over ?auto when both are asked for', async () => {
    const { res, sent, done } = response();
    statusHandler(() => Promise.resolve(status))(request('/?auto&json'), res);
    await done;
    expect(sent.headers!['Content-Type']).toBe('application/json');
  });

  test('the manager not answering is a 503 naming why', async () => {
    const { res, sent, done } = response();
    statusHandler(() => Promise.reject(new Error('the manager is gone')))(request('/?json'), res);
    await done;
    expect(sent.code).toBe(503);
    expect(sent.headers).toEqual({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    expect(sent.body).toBe('the manager could not answer: the manager is gone\n');
  });

  test('a rejection that is not an Error still gives a readable 503', async () => {
    const { res, sent, done } = response();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test: a get() that rejects with a non-Error
    statusHandler(() => Promise.reject('timed out'))(request('/'), res);
    await done;
    expect(sent.code).toBe(503);
    expect(sent.body).toBe('the manager could not answer: timed out\n');
  });

  test('a rejection with undefined still gives a 503', async () => {
    const { res, sent, done } = response();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test: a get() that rejects with nothing
    statusHandler(() => Promise.reject(undefined))(request('/'), res);
    await done;
    expect(sent.code).toBe(503);
    expect(sent.body).toBe('the manager could not answer: undefined\n');
  });

  test('asks for the status once per request', async () => {
    const get = jest.fn(() => Promise.resolve(status));
    const handler = statusHandler(get);
    expect(get).not.toHaveBeenCalled();
    const { res, done } = response();
    handler(request('/'), res);
    await done;
    expect(get).toHaveBeenCalledTimes(1);
  });
});

describe('metricsHandler', () => {
  test("the text as given, with Prometheus's exposition content type", async () => {
    const { res, sent, done } = response();
    metricsHandler(() => Promise.resolve('prefork_children 3\n'))(request('/metrics'), res);
    await done;
    expect(sent.code).toBe(200);
    expect(sent.headers).toEqual({ 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
    expect(sent.body).toBe('prefork_children 3\n');
  });

  test('a failure is a 503 naming why', async () => {
    const { res, sent, done } = response();
    metricsHandler(() => Promise.reject(new Error('no registry')))(request('/metrics'), res);
    await done;
    expect(sent.code).toBe(503);
    expect(sent.body).toBe('the manager could not answer: no registry\n');
  });
});
