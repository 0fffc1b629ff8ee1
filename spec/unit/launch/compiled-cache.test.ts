import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TsNodeService } from '../../../lib/launch/ts-node-service';

type CacheModule = typeof import('../../../lib/launch/compiled-cache');
type Written = Record<string, { mtimeMs: number; size: number; code: string }>;

let root: string;
let sources: string;
let tmp: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ppi-compiled-cache-'));
  sources = path.join(root, 'src');
  fs.mkdirSync(sources);
  fs.mkdirSync(path.join(root, 'tmp'));
  // The cache makes its directory in os.tmpdir(): here, inside this test's own directory.
  // (Jest's process.env is the sandbox's copy, so TMPDIR would not reach node:os.)
  tmp = path.join(root, 'tmp');
  jest.spyOn(os, 'tmpdir').mockImplementation(() => tmp);
  jest.resetModules();
});

afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh process-wide cache (the module's singleton), as a new manager process has. */
function freshCache(): CacheModule['compiledCache'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy of the singleton after jest.resetModules()
  return (require('../../../lib/launch/compiled-cache') as CacheModule).compiledCache;
}

/** A module loaded into require.cache, as ts-node would have loaded a TypeScript one (.cts here: a made-up "compiled" extension the test owns). */
function load(name: string, text = `module.exports = ${JSON.stringify(name)};\n`): string {
  const file = path.join(sources, name);
  fs.writeFileSync(file, text);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- puts the module in require.cache, which the cache reads
  require(file);
  return file;
}

/** A ts-node stand-in: compiles by tagging the source; ignores whatever is not in this test's sources, and `*.ignored.cjs`. */
function service(over: Partial<TsNodeService> = {}) {
  const compiled: string[] = [];
  const stub: TsNodeService = {
    compile: (code, filename) => {
      compiled.push(path.basename(filename));
      return `/* compiled */ ${code}`;
    },
    ignored: (filename) => !filename.startsWith(sources) || filename.endsWith('.ignored.cjs'),
    ...over,
  };
  return { stub, compiled };
}

function read(file: string): Written {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Written;
}

test("without ts-node's compile function there is no cache, and no directory is made", () => {
  const cache = freshCache();
  load('a.cjs');
  expect(cache.update({}, ['.cjs'])).toBeUndefined();
  expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
});

test('writes every compiled module of the given extensions, as ts-node compiled it, with its mtime and size', () => {
  const cache = freshCache();
  const a = load('a.cjs');
  const b = load('b.cjs', 'module.exports = 2;\n');
  const { stub } = service();
  const file = cache.update(stub, ['.cjs'])!;
  expect(path.basename(file)).toBe('compiled.json');
  const written = read(file);
  expect(Object.keys(written).sort()).toEqual([a, b]);
  const stat = fs.statSync(b);
  expect(written[b]).toEqual({ mtimeMs: stat.mtimeMs, size: stat.size, code: '/* compiled */ module.exports = 2;\n' });
});

test('skips modules of other extensions and those ts-node ignores', () => {
  const cache = freshCache();
  const kept = load('kept.cjs');
  load('plain.js');
  load('skip.ignored.cjs');
  const { stub, compiled } = service();
  const written = read(cache.update(stub, ['.cjs'])!);
  expect(Object.keys(written)).toEqual([kept]);
  expect(compiled).toEqual(['kept.cjs']); // the ignored one is not even compiled
});

test('the file is in a private directory of its own under the temporary directory (mode 0700), not at a path anyone could name first', () => {
  const cache = freshCache();
  load('a.cjs');
  const file = cache.update(service().stub, ['.cjs'])!;
  const dir = path.dirname(file);
  expect(path.dirname(dir)).toBe(path.join(root, 'tmp'));
  expect(path.basename(dir)).toMatch(/^parallel-prefork-ipc-.{6}$/);
  if (process.platform !== 'win32') expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
});

test('written then renamed: no partial file is left beside it', () => {
  const cache = freshCache();
  load('a.cjs');
  const file = cache.update(service().stub, ['.cjs'])!;
  expect(fs.readdirSync(path.dirname(file))).toEqual(['compiled.json']);
});

test('a later call with nothing new returns the same path and neither recompiles nor rewrites', () => {
  const cache = freshCache();
  load('a.cjs');
  const { stub, compiled } = service();
  const file = cache.update(stub, ['.cjs'])!;
  fs.writeFileSync(file, 'untouched');
  expect(cache.update(stub, ['.cjs'])).toBe(file);
  expect(compiled).toEqual(['a.cjs']);
  expect(fs.readFileSync(file, 'utf8')).toBe('untouched');
});

test('modules loaded since (a reload loop) are added to those already there', () => {
  const cache = freshCache();
  const a = load('a.cjs');
  const { stub } = service();
  const file = cache.update(stub, ['.cjs'])!;
  const b = load('b.cjs');
  expect(cache.update(stub, ['.cjs'])).toBe(file);
  expect(Object.keys(read(file)).sort()).toEqual([a, b]);
});

test('a module edited since it was cached (another mtime or size) is compiled again', () => {
  const cache = freshCache();
  const a = load('a.cjs', 'module.exports = 1;\n');
  const { stub, compiled } = service();
  const file = cache.update(stub, ['.cjs'])!;
  fs.writeFileSync(a, 'module.exports = 12345;\n');
  cache.update(stub, ['.cjs']);
  expect(compiled).toEqual(['a.cjs', 'a.cjs']);
  expect(read(file)[a].code).toBe('/* compiled */ module.exports = 12345;\n');
  const same = fs.statSync(a);
  fs.utimesSync(a, same.atime, new Date(same.mtimeMs + 5000)); // the same size, another mtime
  cache.update(stub, ['.cjs']);
  expect(compiled).toHaveLength(3);
  expect(read(file)[a].mtimeMs).toBe(fs.statSync(a).mtimeMs);
});

test('a module that no longer compiles (edited into a type error) or is deleted is left out: the child compiles it itself', () => {
  const cache = freshCache();
  const good = load('good.cjs');
  load('broken.cjs');
  const gone = load('gone.cjs');
  fs.rmSync(gone);
  const { stub } = service({
    compile: (code, filename) => {
      if (filename.endsWith('broken.cjs')) throw new Error('TS2322: Type error');
      return code;
    },
  });
  const file = cache.update(stub, ['.cjs'])!;
  expect(Object.keys(read(file))).toEqual([good]);
});

test('when its directory cannot be made: one warning, undefined, and it does not try again', () => {
  const cache = freshCache();
  load('a.cjs');
  tmp = path.join(root, 'missing', 'deeper');
  const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  const { stub, compiled } = service();
  expect(cache.update(stub, ['.cjs'])).toBeUndefined();
  expect(warned).toHaveBeenCalledTimes(1);
  expect(String(warned.mock.calls[0][0])).toMatch(
    /^children cannot be served from the manager's compiled TypeScript \(ENOENT: .*\); they will compile with ts-node$/,
  );
  tmp = path.join(root, 'tmp');
  expect(cache.update(stub, ['.cjs'])).toBeUndefined();
  expect(warned).toHaveBeenCalledTimes(1);
  expect(compiled).toEqual(['a.cjs']); // the second call did nothing
  expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
});

test('the directory is removed when the process exits (in a separate Node process: exit hooks are the real thing)', async () => {
  const fixture = path.join(sources, 'a.cjs');
  fs.writeFileSync(fixture, 'module.exports = 1;\n');
  const source = path.resolve(__dirname, '../../../lib/launch/compiled-cache.ts');
  const script =
    `require(${JSON.stringify(fixture)});` +
    `const file = require(${JSON.stringify(source)}).compiledCache.update({ compile: (code) => code }, ['.cjs']);` +
    'console.log(file, require("node:fs").existsSync(file));';
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--require', 'tsx/cjs', '-e', script], { env: { ...process.env, TMPDIR: tmp }, timeout: 50_000 }, (error, out, stderr) => {
      if (error) reject(new Error(`node failed: ${error.message}\n${stderr}`));
      else resolve(out);
    });
  });
  const [file, existed] = stdout.trim().split(' ');
  expect(existed).toBe('true');
  expect(path.dirname(path.dirname(file))).toBe(tmp);
  expect(fs.existsSync(path.dirname(file))).toBe(false);
  expect(fs.readdirSync(tmp).filter((name) => name.startsWith('parallel-prefork-ipc-'))).toEqual([]); // (tsx keeps its own cache there)
});
