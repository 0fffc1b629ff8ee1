import { resolve as resolvePath } from 'node:path';
import path from 'node:path';
import { checkMaxWorkers, DEFAULT_MAX_CALLS_IN_FLIGHT, DEFAULT_MAX_MESSAGE_BYTES, MAX_TIMER_MS, resolveOptions } from '../../lib/options';

test('defaults', () => {
  const resolved = resolveOptions(undefined);
  expect(resolved).toEqual({
    maxWorkers: 10,
    spawnInterval: 0,
    errRespawnInterval: 1000,
    trapSignals: new Map([['TERM', { signal: 'TERM', intervalMs: 0 }]]),
    onChildReap: undefined,
    beforeFork: undefined,
    afterFork: undefined,
    callbacks: new Map(),
    callbackTimeout: undefined,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    onManagerExit: 'terminate',
    gracePeriod: 30_000,
    exec: {},
    balance: 'kernel',
    readiness: 'auto',
    readyTimeout: 30_000,
    gatedReload: false,
    surge: 1,
    reloadAttempts: 3,
    restartWindow: 60_000,
    beatInterval: 1000,
    maxCallsInFlight: DEFAULT_MAX_CALLS_IN_FLIGHT,
    childStdout: 'inherit',
    systemd: false,
  });
  expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(256 * 1024 * 1024);
  expect(DEFAULT_MAX_CALLS_IN_FLIGHT).toBe(4096);
  expect(resolveOptions({})).toEqual(resolved);
});

test('given values are kept', () => {
  const hook = () => undefined;
  const handler = () => 1;
  const resolved = resolveOptions({
    maxWorkers: 0,
    spawnInterval: 5,
    errRespawnInterval: 0,
    onChildReap: hook,
    beforeFork: hook,
    afterFork: hook,
    callbacks: { handler },
    callbackTimeout: 250,
    maxMessageBytes: 64,
    onManagerExit: 'ignore',
    gracePeriod: 0,
  });
  expect(resolved).toMatchObject({ maxWorkers: 0, spawnInterval: 5, errRespawnInterval: 0, callbackTimeout: 250, maxMessageBytes: 64, gracePeriod: 0 });
  expect(resolved.onChildReap).toBe(hook);
  expect(resolved.beforeFork).toBe(hook);
  expect(resolved.afterFork).toBe(hook);
  expect(resolved.callbacks).toEqual(new Map([['handler', handler]]));
  expect(resolved.onManagerExit).toBe('ignore');
  const policy = () => {};
  expect(resolveOptions({ onManagerExit: policy }).onManagerExit).toBe(policy);
});

test('options must be an object', () => {
  expect(() => resolveOptions(null)).toThrow(new TypeError("PreforkIPC option 'options' must be an object, got null"));
  expect(() => resolveOptions(5)).toThrow("PreforkIPC option 'options' must be an object, got 5");
});

describe('maxWorkers', () => {
  test.each([[-1], [1.5], [NaN], [Infinity], ['3']])('%j is refused', (value) => {
    expect(() => resolveOptions({ maxWorkers: value })).toThrow(TypeError);
    expect(() => checkMaxWorkers(value)).toThrow(/^PreforkIPC option 'maxWorkers' must be a whole number ≥ 0, got /);
  });

  test('the message shows what was given', () => {
    expect(() => checkMaxWorkers('3')).toThrow(`got "3"`);
    expect(() => checkMaxWorkers(-1)).toThrow('got -1');
  });

  test('checkMaxWorkers returns a valid count', () => {
    expect(checkMaxWorkers(0)).toBe(0);
    expect(checkMaxWorkers(64)).toBe(64);
  });
});

describe.each(['spawnInterval', 'errRespawnInterval'])('%s', (name) => {
  test.each([[-1], [NaN], [Infinity], ['10'], [null]])('%j is refused', (value) => {
    expect(() => resolveOptions({ [name]: value })).toThrow(`PreforkIPC option '${name}' must be a number of milliseconds ≥ 0`);
  });

  test('0 and whole milliseconds are fine', () => {
    expect(resolveOptions({ [name]: 0 })[name as 'spawnInterval']).toBe(0);
    expect(resolveOptions({ [name]: 1 })[name as 'spawnInterval']).toBe(1);
    expect(resolveOptions({ [name]: 2500 })[name as 'spawnInterval']).toBe(2500);
  });
});

describe('a fraction of a millisecond (a value in seconds, as Perl and gunicorn take) is a TypeError that says the unit', () => {
  test.each(['spawnInterval', 'errRespawnInterval', 'callbackTimeout', 'gracePeriod', 'lifetimeTimeout'])('%s', (name) => {
    expect(() => resolveOptions({ [name]: 0.5 })).toThrow(
      new TypeError(`PreforkIPC option '${name}' must be a whole number of milliseconds, 0 or ≥ 1 (the unit is milliseconds: 0.5 s is 500), got 0.5`),
    );
    expect(() => resolveOptions({ [name]: 2.5 })).toThrow(
      new TypeError(`PreforkIPC option '${name}' must be a whole number of milliseconds, 0 or ≥ 1 (the unit is milliseconds), got 2.5`),
    );
  });

  test("trapSignals: ['TERM', 0.5]", () => {
    expect(() => resolveOptions({ trapSignals: { HUP: ['TERM', 0.5] } })).toThrow(
      new TypeError(
        "PreforkIPC option 'trapSignals.HUP' must be a signal name, null, or [signal, intervalMs] with intervalMs a whole number of milliseconds, 0 or ≥ 1 (the unit is milliseconds: 0.5 s is 500), got [\"TERM\",0.5]",
      ),
    );
    expect(resolveOptions({ trapSignals: { HUP: ['TERM', 500] } }).trapSignals.get('HUP')).toEqual({ signal: 'TERM', intervalMs: 500 });
  });

  test('an unknown option still gets its did-you-mean', () => {
    expect(() => resolveOptions({ spawnIntervall: 0.5 })).toThrow("PreforkIPC has no option 'spawnIntervall': did you mean 'spawnInterval'?");
  });
});

describe('time limits', () => {
  test('callbackTimeout: Infinity, or more than a timer can wait, means no limit', () => {
    expect(resolveOptions({ callbackTimeout: Infinity }).callbackTimeout).toBeUndefined();
    expect(resolveOptions({ callbackTimeout: MAX_TIMER_MS + 1 }).callbackTimeout).toBeUndefined();
    expect(resolveOptions({ callbackTimeout: MAX_TIMER_MS }).callbackTimeout).toBe(MAX_TIMER_MS);
    expect(resolveOptions({ callbackTimeout: 0 }).callbackTimeout).toBe(0);
  });

  test('gracePeriod: null, Infinity or too long never escalates', () => {
    expect(resolveOptions({ gracePeriod: null }).gracePeriod).toBeNull();
    expect(resolveOptions({ gracePeriod: Infinity }).gracePeriod).toBeNull();
    expect(resolveOptions({ gracePeriod: MAX_TIMER_MS + 1 }).gracePeriod).toBeNull();
    expect(resolveOptions({ gracePeriod: 10 }).gracePeriod).toBe(10);
    expect(resolveOptions({ gracePeriod: undefined }).gracePeriod).toBe(30_000);
  });

  test.each(['callbackTimeout', 'gracePeriod'])('%s refuses negative and non-numbers', (name) => {
    expect(() => resolveOptions({ [name]: -5 })).toThrow(`'${name}' must be a number of milliseconds ≥ 0, got -5`);
    expect(() => resolveOptions({ [name]: -Infinity })).toThrow(TypeError);
    expect(() => resolveOptions({ [name]: '1' })).toThrow(TypeError);
  });

  test('MAX_TIMER_MS is the longest delay setTimeout honours', () => {
    expect(MAX_TIMER_MS).toBe(2147483647);
  });
});

describe('trapSignals', () => {
  test('keys and actions are normalised', () => {
    const resolved = resolveOptions({ trapSignals: { sigterm: 'sigint', HUP: ['TERM', 250], USR1: null, INT: undefined } });
    expect(resolved.trapSignals).toEqual(
      new Map([
        ['TERM', { signal: 'INT', intervalMs: 0 }],
        ['HUP', { signal: 'TERM', intervalMs: 250 }],
        ['USR1', null],
        ['INT', null],
      ]),
    );
  });

  test('an empty object traps nothing', () => {
    expect(resolveOptions({ trapSignals: {} }).trapSignals.size).toBe(0);
  });

  test.each([[null], ['TERM'], [['TERM']], [5]])('%j is not an object of signal → action', (value) => {
    expect(() => resolveOptions({ trapSignals: value })).toThrow("'trapSignals' must be an object of signal → action");
  });

  test('keys must be signals that can be caught', () => {
    expect(() => resolveOptions({ trapSignals: { NOPE: 'TERM' } })).toThrow(`'trapSignals' must be keyed by signal names, got "NOPE"`);
    expect(() => resolveOptions({ trapSignals: { KILL: 'TERM' } })).toThrow('keyed by signals that can be caught, got "KILL"');
    expect(() => resolveOptions({ trapSignals: { SIGSTOP: 'TERM' } })).toThrow('keyed by signals that can be caught');
  });

  test.each([
    ['an unknown signal', 'NOPE'],
    ['a number', 15],
    ['a one-element array', ['TERM']],
    ['a three-element array', ['TERM', 1, 2]],
    ['an unknown signal in the array', ['NOPE', 1]],
    ['an object', { signal: 'TERM' }],
  ])('an action that is %s is refused', (_, action) => {
    expect(() => resolveOptions({ trapSignals: { HUP: action } })).toThrow("'trapSignals.HUP' must be a signal name, null, or [signal, intervalMs]");
  });

  test.each([[-1], [NaN], [Infinity], ['5']])('an interval of %j is refused', (interval) => {
    expect(() => resolveOptions({ trapSignals: { HUP: ['TERM', interval] } })).toThrow('with intervalMs a number of milliseconds ≥ 0');
  });
});

describe('callbacks and hooks', () => {
  test.each([[null], ['x']])('callbacks %j is not an object of functions', (value) => {
    expect(() => resolveOptions({ callbacks: value })).toThrow("'callbacks' must be an object of functions");
  });

  test('each callback must be a function, named in the message', () => {
    expect(() => resolveOptions({ callbacks: { ok: () => 1, bad: 42 } })).toThrow("PreforkIPC option 'callbacks.bad' must be a function, got 42");
  });

  test.each(['onChildReap', 'beforeFork', 'afterFork'])('%s must be a function', (name) => {
    expect(() => resolveOptions({ [name]: 'yes' })).toThrow(`PreforkIPC option '${name}' must be a function, got "yes"`);
    expect(() => resolveOptions({ [name]: null })).toThrow(`'${name}' must be a function, got null`);
  });

  test('onManagerExit is terminate, ignore or a function', () => {
    expect(() => resolveOptions({ onManagerExit: 'exit' })).toThrow(`'onManagerExit' must be 'terminate', 'ignore' or a function, got "exit"`);
  });
});

describe('maxMessageBytes', () => {
  test.each([[63], [0], [64.5], ['1024'], [Infinity]])('%j is refused', (value) => {
    expect(() => resolveOptions({ maxMessageBytes: value })).toThrow("'maxMessageBytes' must be a whole number of bytes ≥ 64");
  });
});

describe('maxCallsInFlight', () => {
  test.each([[1], [100_000], [Infinity]])('%j is kept', (value) => {
    expect(resolveOptions({ maxCallsInFlight: value }).maxCallsInFlight).toBe(value);
  });

  test('null is refused: it would mean no bound, and that is spelled Infinity', () => {
    expect(() => resolveOptions({ maxCallsInFlight: null })).toThrow(
      new TypeError("PreforkIPC option 'maxCallsInFlight' must be a whole number ≥ 1, or Infinity, got null (leave the option out for the default, 4096)"),
    );
  });

  test.each([[0], [-1], [2.5], ['100'], [NaN]])('%j is refused, naming the option', (value) => {
    expect(() => resolveOptions({ maxCallsInFlight: value })).toThrow("PreforkIPC option 'maxCallsInFlight' must be a whole number ≥ 1, or Infinity");
  });
});

describe('exec', () => {
  test('a string is the file, resolved against the working directory', () => {
    expect(resolveOptions({ exec: 'child.js' }).exec).toEqual({ file: path.resolve('child.js'), args: undefined, execArgv: undefined });
  });

  test('an object: each part optional, arrays copied', () => {
    const args = ['a'];
    const resolved = resolveOptions({ exec: { args, execArgv: ['--inspect'] } }).exec;
    expect(resolved).toEqual({ file: undefined, args: ['a'], execArgv: ['--inspect'] });
    expect(resolved.args).not.toBe(args);
    expect(resolveOptions({ exec: { file: '/abs/x.js' } }).exec.file).toBe('/abs/x.js');
  });

  test.each([
    ['a number', 5, "'exec' must be a script path or an object"],
    ['null', null, "'exec' must be a script path or an object"],
    ['an array', ['x.js'], "'exec' must be a script path or an object"],
    ['an unknown key', { file: 'x.js', cwd: '/' }, "'exec' must be an object with only file, args and execArgv"],
    ['an empty file', { file: '' }, "'exec.file' must be a non-empty path"],
    ['an empty string', '', "'exec.file' must be a non-empty path"],
    ['a numeric file', { file: 1 }, "'exec.file' must be a non-empty path"],
    ['args not an array', { args: 'a b' }, "'exec.args' must be an array of strings"],
    ['args with a number', { args: ['a', 1] }, "'exec.args' must be an array of strings"],
    ['execArgv with a number', { execArgv: [1] }, "'exec.execArgv' must be an array of strings"],
  ])('%s is refused', (_, exec, message) => {
    expect(() => resolveOptions({ exec })).toThrow(message);
  });
});

describe('null means none, and only that', () => {
  test.each([
    ['gracePeriod', (o: ReturnType<typeof resolveOptions>) => o.gracePeriod],
    ['beatInterval', (o: ReturnType<typeof resolveOptions>) => o.beatInterval],
  ])('%s: null is taken as none', (name, read) => {
    expect(read(resolveOptions({ [name]: null }))).toBeNull();
  });

  test('a trapSignals entry: null forwards nothing', () => {
    expect(resolveOptions({ trapSignals: { TERM: null } }).trapSignals.get('TERM')).toBeNull();
  });

  // Every other option: a TypeError naming it, saying how to get its default instead.
  const refusing = [
    ...['maxWorkers', 'spawnInterval', 'errRespawnInterval', 'trapSignals', 'callbacks', 'maxMessageBytes', 'maxCallsInFlight', 'onManagerExit'],
    ...['balance', 'lifetimesPerChild', 'lifetimesJitter', 'ageJitter', 'systemd', 'childStdout', 'readiness', 'readyTimeout', 'surge'],
    ...['reloadAttempts', 'restartWindow', 'minSpareWorkers', 'minWorkers'],
  ].map((name) => [name, 'the default, '] as const);
  const worked = ['exec', 'gatedReload', 'maxSpareWorkers'].map((name) => [name, 'the default, '] as const);
  const none = ['onChildReap', 'beforeFork', 'afterFork', 'onReloadFailed', 'callbackTimeout', 'listen', 'pidFile', 'maxChildMemory'];
  const noneToo = ['maxChildAge', 'lifetimeTimeout', 'hangTimeout', 'maxRestarts', 'controlSocket'];
  test.each([...refusing, ...worked, ...[...none, ...noneToo].map((name) => [name, 'none'] as const)])('%s: null is a TypeError', (name, hint) => {
    expect(() => resolveOptions({ [name]: null })).toThrow(new RegExp(`^PreforkIPC option '${name}' must be .*, got null \\(leave the option out for ${hint}`));
  });

  test('the hint says the default', () => {
    expect(() => resolveOptions({ maxWorkers: null })).toThrow(
      new TypeError("PreforkIPC option 'maxWorkers' must be a whole number ≥ 0, got null (leave the option out for the default, 10)"),
    );
    expect(() => resolveOptions({ trapSignals: null })).toThrow(
      new TypeError(`PreforkIPC option 'trapSignals' must be an object of signal → action, got null (leave the option out for the default, {"TERM":"TERM"})`),
    );
    expect(() => resolveOptions({ onManagerExit: null })).toThrow(`got null (leave the option out for the default, "terminate")`);
    expect(() => resolveOptions({ gatedReload: null })).toThrow(`got null (leave the option out for the default, true with 'listen', else false)`);
  });

  test('every option is covered above', () => {
    const covered = new Set([...refusing, ...worked].map(([name]) => name).concat(none, noneToo, ['gracePeriod', 'beatInterval']));
    // An unknown name far from every option lists them all.
    let message = '';
    try {
      resolveOptions({ notAnOption: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    const all = /\(options: (.*)\)$/.exec(message)?.[1].split(', ') ?? [];
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((name) => !covered.has(name))).toEqual([]);
  });

  test('the maxWorkers setter (checkMaxWorkers) has no option to leave out: no hint', () => {
    expect(() => checkMaxWorkers(null)).toThrow(new TypeError("PreforkIPC option 'maxWorkers' must be a whole number ≥ 0, got null"));
  });

  test('parts of an option name themselves, without the hint', () => {
    expect(() => resolveOptions({ exec: { file: null } })).toThrow(new TypeError("PreforkIPC option 'exec.file' must be a non-empty path, got null"));
    expect(() => resolveOptions({ callbacks: { a: null } })).toThrow(new TypeError("PreforkIPC option 'callbacks.a' must be a function, got null"));
  });
});

describe('listen, pidFile and pool actions (issue 11)', () => {
  test('listen: TCP, Unix (resolved path), fd, and the supervisors by name', () => {
    expect(resolveOptions({ listen: [{ port: 0 }, { port: 80, host: '::1', backlog: 64 }, { path: 'app.sock' }, { fd: 3 }] }).listen).toEqual([
      { port: 0 },
      { port: 80, host: '::1', backlog: 64 },
      { path: path.resolve('app.sock') },
      { fd: 3 },
    ]);
    expect(resolveOptions({ listen: 'systemd' }).listen).toBe('systemd');
    expect(resolveOptions({ listen: 'server-starter' }).listen).toBe('server-starter');
  });

  test.each([
    ['not a list', { listen: 8080 }, /'listen' must be an array of sockets, 'systemd' or 'server-starter'/],
    ['two kinds at once', { listen: [{ port: 1, path: '/x' }] }, /'listen\[0\]' must be exactly one of/],
    ['an unknown key', { listen: [{ port: 1, reusePort: true }] }, /'listen\[0\]' must be exactly one of/],
    ['a bad port', { listen: [{ port: -1 }] }, /'listen\[0\]\.port' must be a port number 0–65535/],
    ['a bad backlog', { listen: [{ port: 1, backlog: 0 }] }, /'listen\[0\]\.backlog' must be a whole number ≥ 1/],
    ['host without port', { listen: [{ path: '/x', host: 'a' }] }, /'listen\[0\]' must be given host only together with port/],
    ['a bad fd', { listen: [{ fd: 1.5 }] }, /'listen\[0\]\.fd' must be a file descriptor/],
    ['an empty pidFile', { pidFile: '' }, /'pidFile' must be a non-empty path/],
  ])('%s is refused, naming the option', (_what, options, message) => {
    expect(() => resolveOptions(options)).toThrow(message);
  });

  test("balance: 'kernel' by default, 'round-robin' with listen; anything else or no listen is refused", () => {
    expect(resolveOptions({}).balance).toBe('kernel');
    expect(resolveOptions({ listen: [{ port: 0 }], balance: 'kernel' }).balance).toBe('kernel');
    expect(resolveOptions({ listen: [{ port: 0 }], balance: 'round-robin' }).balance).toBe('round-robin');
    expect(() => resolveOptions({ listen: [{ port: 0 }], balance: 'roundrobin' })).toThrow(
      new TypeError(`PreforkIPC option 'balance' must be 'kernel' or 'round-robin', got "roundrobin"`),
    );
    expect(() => resolveOptions({ listen: [{ port: 0 }], balance: true })).toThrow(/'balance' must be 'kernel' or 'round-robin', got true/);
    expect(() => resolveOptions({ balance: 'round-robin' })).toThrow(
      new TypeError("PreforkIPC option 'balance': 'round-robin' deals out the connections of the 'listen' sockets, and 'listen' is not given"),
    );
    expect(() => resolveOptions({ listen: [{ port: 0 }], balanse: 'round-robin' })).toThrow("PreforkIPC has no option 'balanse': did you mean 'balance'?");
  });

  test("'addWorker' and 'removeWorker' are resize actions, not signals", () => {
    const { trapSignals } = resolveOptions({ trapSignals: { TTIN: 'addWorker', TTOU: 'removeWorker' } });
    expect(trapSignals).toEqual(new Map([['TTIN', { resize: 1 }], ['TTOU', { resize: -1 }]]));
  });
});

test('hangTimeout: ms ≥ 100, Infinity (or nothing) for none', () => {
  expect(resolveOptions({}).hangTimeout).toBeUndefined();
  expect(resolveOptions({ hangTimeout: 5000 }).hangTimeout).toBe(5000);
  expect(resolveOptions({ hangTimeout: Infinity }).hangTimeout).toBeUndefined();
  expect(() => resolveOptions({ hangTimeout: 50 })).toThrow("PreforkIPC option 'hangTimeout' must be a number of milliseconds ≥ 100 (or Infinity: none), got 50");
  expect(() => resolveOptions({ hangTimeout: '1s' })).toThrow(/hangTimeout' must be a number of milliseconds ≥ 0, got "1s"/);
});

test('readiness and reload options: defaults follow listen, bad values are named', () => {
  expect(resolveOptions({ listen: [{ port: 0 }] }).gatedReload).toBe(true);
  expect(resolveOptions({ listen: [{ port: 0 }], gatedReload: false }).gatedReload).toBe(false);
  expect(resolveOptions({ readyTimeout: Infinity }).readyTimeout).toBeUndefined();
  expect(resolveOptions({ maxRestarts: 5, restartWindow: 10_000 })).toMatchObject({ maxRestarts: 5, restartWindow: 10_000 });
  expect(() => resolveOptions({ readiness: 'sometimes' })).toThrow("PreforkIPC option 'readiness' must be 'auto' or 'explicit', got \"sometimes\"");
  expect(() => resolveOptions({ surge: 0 })).toThrow("PreforkIPC option 'surge' must be a whole number ≥ 1, got 0");
  expect(() => resolveOptions({ reloadAttempts: 1.5 })).toThrow("option 'reloadAttempts' must be a whole number ≥ 1");
  expect(() => resolveOptions({ gatedReload: 'yes' })).toThrow("option 'gatedReload' must be true or false");
  expect(() => resolveOptions({ readyTimeout: -1 })).toThrow("option 'readyTimeout' must be a number of milliseconds ≥ 0");
  expect(() => resolveOptions({ readyTimeout: 0 })).toThrow("option 'readyTimeout' must be a whole number of milliseconds ≥ 1 (or Infinity: none); 0 would stop every child before it could be ready, got 0");
  expect(() => resolveOptions({ maxRestarts: -1 })).toThrow("option 'maxRestarts' must be a whole number ≥ 0");
  // A window of 0 ms holds no crash: maxRestarts would silently never be reached.
  expect(() => resolveOptions({ maxRestarts: 3, restartWindow: 0 })).toThrow("PreforkIPC option 'restartWindow' must be a number of milliseconds ≥ 1, got 0");
  expect(resolveOptions({ restartWindow: 1 }).restartWindow).toBe(1);
  expect(() => resolveOptions({ onReloadFailed: 1 })).toThrow("option 'onReloadFailed' must be a function");
});

test('beatInterval: default 1000 ms, null turns the beat off, anything else is refused by name', () => {
  expect(resolveOptions({}).beatInterval).toBe(1000);
  expect(resolveOptions({ beatInterval: null }).beatInterval).toBeNull();
  expect(resolveOptions({ beatInterval: 250 }).beatInterval).toBe(250);
  for (const bad of [0, 5, -1, NaN, Infinity, '1000', 2 ** 31]) {
    expect(() => resolveOptions({ beatInterval: bad })).toThrow(/option 'beatInterval' must be a number of milliseconds from 10 to \d+, or null/);
  }
});

test('controlSocket: a non-empty path, resolved', () => {
  expect(resolveOptions({ controlSocket: 'app.ctl' }).controlSocket).toBe(resolvePath('app.ctl'));
  expect(() => resolveOptions({ controlSocket: '' })).toThrow(/option 'controlSocket' must be a non-empty path/);
  expect(() => resolveOptions({ controlSocket: 3 })).toThrow(/option 'controlSocket' must be a non-empty path, got 3/);
});

test('hangTimeout settles the beat: 4 beats per hangTimeout unless beatInterval is given, and then room for one late beat', () => {
  expect(resolveOptions({ hangTimeout: 1000 })).toMatchObject({ hangTimeout: 1000, beatInterval: 250 });
  expect(resolveOptions({ hangTimeout: 60_000 })).toMatchObject({ hangTimeout: 60_000, beatInterval: 1000 });
  expect(resolveOptions({ hangTimeout: 100 })).toMatchObject({ beatInterval: 25 });
  expect(resolveOptions({ hangTimeout: 2000, beatInterval: 1000 })).toMatchObject({ hangTimeout: 2000, beatInterval: 1000 });
  expect(() => resolveOptions({ hangTimeout: 1500, beatInterval: 1000 })).toThrow(
    "PreforkIPC option 'hangTimeout' (1500 ms) must be at least twice 'beatInterval' (1000 ms): a child one beat late would be called hung",
  );
  expect(() => resolveOptions({ hangTimeout: 5000, beatInterval: null })).toThrow(/'hangTimeout' watches the children's beat, and 'beatInterval' is null/);
});

test('spare workers: off unless minSpareWorkers or maxSpareWorkers is given; bounds checked against each other and maxWorkers', () => {
  expect(resolveOptions({}).spare).toBeUndefined();
  expect(resolveOptions({ minSpareWorkers: 2 }).spare).toEqual({ minSpareWorkers: 2, maxSpareWorkers: 2, minWorkers: 0 });
  expect(resolveOptions({ maxSpareWorkers: 5 }).spare).toEqual({ minSpareWorkers: 1, maxSpareWorkers: 5, minWorkers: 0 });
  expect(resolveOptions({ minSpareWorkers: 1, maxSpareWorkers: 3, minWorkers: 2, maxWorkers: 8 }).spare).toEqual({ minSpareWorkers: 1, maxSpareWorkers: 3, minWorkers: 2 });
  expect(() => resolveOptions({ minSpareWorkers: 4, maxSpareWorkers: 2 })).toThrow("PreforkIPC option 'minSpareWorkers' (4) must not be above 'maxSpareWorkers' (2)");
  expect(() => resolveOptions({ minSpareWorkers: 1, minWorkers: 11 })).toThrow("PreforkIPC option 'minWorkers' (11) must not be above 'maxWorkers' (10), the ceiling");
  expect(() => resolveOptions({ minWorkers: 2 })).toThrow(/'minWorkers' is a floor for spare workers: give 'minSpareWorkers' or 'maxSpareWorkers' too/);
  expect(() => resolveOptions({ maxSpareWorkers: 0 })).toThrow(/'maxSpareWorkers' must be a whole number ≥ 1, got 0/);
  expect(() => resolveOptions({ minSpareWorkers: -1 })).toThrow(/'minSpareWorkers' must be a whole number ≥ 0/);
});

test("childStdout: 'inherit' (default) or 'stderr', nothing else", () => {
  expect(resolveOptions({ childStdout: 'stderr' }).childStdout).toBe('stderr');
  expect(resolveOptions({ childStdout: 'inherit' }).childStdout).toBe('inherit');
  expect(() => resolveOptions({ childStdout: 'null' })).toThrow(new TypeError(`PreforkIPC option 'childStdout' must be 'inherit' or 'stderr', got "null"`));
});

describe('recycling and systemd options', () => {
  test('maxChildAge, ageJitter and systemd are kept; Infinity is no age limit', () => {
    expect(resolveOptions({ maxChildAge: 60_000, ageJitter: 5_000, systemd: 'auto' })).toMatchObject({ maxChildAge: 60_000, ageJitter: 5_000, systemd: 'auto' });
    expect(resolveOptions({ maxChildAge: Infinity }).maxChildAge).toBeUndefined();
    expect(resolveOptions({ systemd: true }).systemd).toBe(true);
  });

  test.each([
    [{ maxChildAge: 0 }, /option 'maxChildAge' must be a whole number of milliseconds ≥ 1 \(or Infinity: none\), got 0/],
    [{ maxChildAge: 1.5 }, /option 'maxChildAge' must be a whole number of milliseconds/],
    [{ maxChildAge: '1h' }, /option 'maxChildAge' must be a whole number of milliseconds ≥ 1 \(or Infinity: none\), got "1h"/],
    [{ ageJitter: -1 }, /option 'ageJitter' must be a whole number of milliseconds ≥ 0, got -1/],
    [{ ageJitter: Infinity }, /option 'ageJitter' must be a whole number of milliseconds ≥ 0, got Infinity/],
    [{ systemd: 'yes' }, /option 'systemd' must be true, false or 'auto', got "yes"/],
  ])('%j is refused, naming the option', (options, message) => {
    expect(() => resolveOptions(options)).toThrow(message);
  });
});
