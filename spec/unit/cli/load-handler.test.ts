import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { checkHandlerPath, loadHandler } from '../../../lib/cli/load-handler';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppi-load-handler-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A handler file in the temp directory; returns its path. */
function file(name: string, text: string): string {
  const full = path.join(dir, name);
  fs.writeFileSync(full, text);
  return full;
}

describe('checkHandlerPath', () => {
  test.each(['h.js', 'h.cjs', 'h.mjs', 'h.ts', 'h.cts', 'h.mts'])('%s that exists may be a handler', (name) => {
    expect(checkHandlerPath(file(name, ''))).toBeUndefined();
  });

  test.each(['h.json', 'h.jsx', 'h.tsx', 'h', 'h.js.bak', 'h.d'])('%s is refused by its extension, before looking for it', (name) => {
    expect(checkHandlerPath(path.join(dir, name))).toBe(
      `HANDLER must be a .js, .cjs, .mjs, .ts, .cts or .mts file, got ${JSON.stringify(path.join(dir, name))}`,
    );
  });

  test('a missing file is named', () => {
    const missing = path.join(dir, 'missing.js');
    expect(checkHandlerPath(missing)).toBe(`HANDLER ${JSON.stringify(missing)} does not exist`);
  });

  test('the extension is checked before existence (a missing .txt reads as the wrong kind of file)', () => {
    expect(checkHandlerPath(path.join(dir, 'missing.txt'))).toMatch(/^HANDLER must be a \.js/);
  });
});

describe('loadHandler', () => {
  test('module.exports = fn', async () => {
    const handler = await loadHandler(file('plain.js', 'module.exports = async (job) => job * 2;\n'));
    await expect(handler(21, {} as never)).resolves.toBe(42);
  });

  test('exports.default = fn (export default, compiled to CommonJS)', async () => {
    const handler = await loadHandler(file('default.cjs', 'exports.default = async () => "from default";\n'));
    await expect(handler(undefined as never, {} as never)).resolves.toBe('from default');
  });

  test('default.default = fn (a compiled export default, as import() wraps it)', async () => {
    const handler = await loadHandler(file('nested.js', 'module.exports = { default: { default: async () => "inner" } };\n'));
    await expect(handler(undefined as never, {} as never)).resolves.toBe('inner');
  });

  test('module.exports = fn wins over a default on it', async () => {
    const handler = await loadHandler(file('both.js', 'const f = async () => "outer"; f.default = async () => "inner"; module.exports = f;\n'));
    await expect(handler(undefined as never, {} as never)).resolves.toBe('outer');
  });

  test.each([
    ['nothing.js', ''],
    ['object.js', 'module.exports = { handle: async () => 1 };\n'],
    ['number.js', 'module.exports = 42;\n'],
    ['null.js', 'module.exports = null;\n'],
    ['default-number.js', 'exports.default = 5;\n'],
    ['default-null.js', 'exports.default = null;\n'],
    ['default-object.js', 'exports.default = { run: () => 1 };\n'],
  ])('%s: exports nothing callable, and the error says what to export', async (name, text) => {
    const handlerFile = file(name, text);
    await expect(loadHandler(handlerFile)).rejects.toThrow(
      new Error(`${handlerFile} has no default export that is a function (it must export default async (job, ctx) => result)`),
    );
  });

  test('the error names the file as it was given (relative), while loading from the absolute path', async () => {
    file('rel.js', 'module.exports = {};\n');
    const relative = path.relative(process.cwd(), path.join(dir, 'rel.js'));
    await expect(loadHandler(relative)).rejects.toThrow(`${relative} has no default export that is a function`);
  });

  test("a handler that throws while loading: its own error, not taken for an ES module's", async () => {
    await expect(loadHandler(file('throws.js', 'throw new RangeError("config missing");\n'))).rejects.toThrow(new RangeError('config missing'));
  });

  test('a handler with a syntax error: the SyntaxError', async () => {
    await expect(loadHandler(file('syntax.js', 'module.exports = async (job) => {;\n'))).rejects.toThrow(SyntaxError);
  });

  test('a missing file: the loader error', async () => {
    await expect(loadHandler(path.join(dir, 'gone.js'))).rejects.toMatchObject({ code: 'MODULE_NOT_FOUND' });
  });
});

/**
 * ES modules load through a real import(), which Jest's module sandbox does not
 * offer without --experimental-vm-modules: these run loadHandler in a plain
 * Node process and read what it prints. The module is the library's source
 * transpiled as it is (no tsx in that process: tsx would turn an ES module
 * into CommonJS itself, and the fallback to import() would go untested).
 */
describe('loadHandler, ES modules (in a separate Node process)', () => {
  let source: string;

  beforeAll(() => {
    const text = fs.readFileSync(path.resolve(__dirname, '../../../lib/cli/load-handler.ts'), 'utf8');
    source = path.join(dir, 'load-handler.cjs');
    fs.writeFileSync(source, ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText);
  });

  /** What the process printed: "result …" or "error …" (it always exits 0 unless Node itself fails). */
  function run(handlerFile: string): Promise<{ stdout: string }> {
    const script =
      `require(${JSON.stringify(source)}).loadHandler(process.argv[1])` +
      '.then(async (h) => console.log("result " + JSON.stringify(await h(20, {}))), (e) => console.log("error " + e.message));';
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script, handlerFile], { timeout: 50_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`node failed: ${error.message}\n${stderr}`));
        else resolve({ stdout });
      });
    });
  }

  test('.mjs with export default', async () => {
    const out = await run(file('esm.mjs', 'export default async (job) => job + 1;\n'));
    expect(out.stdout).toBe('result 21\n');
  });

  test('.mjs without a default export: the same clear error', async () => {
    const handlerFile = file('named.mjs', 'export const handler = async () => 1;\n');
    const out = await run(handlerFile);
    expect(out.stdout).toBe(`error ${handlerFile} has no default export that is a function (it must export default async (job, ctx) => result)\n`);
  });

  test('a .js file in a "type": "module" package is loaded as the ES module it is', async () => {
    const pkg = path.join(dir, 'esm-package');
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"type":"module"}\n');
    fs.writeFileSync(path.join(pkg, 'handler.js'), 'export default async (job) => job * 3;\n');
    const out = await run(path.join(pkg, 'handler.js'));
    expect(out.stdout).toBe('result 60\n');
  });
});
