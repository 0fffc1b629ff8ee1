/**
 * The compile-time tests in spec/types/ (the public generics, including
 * `// @ts-expect-error` cases that must fail to compile) pass when tsc finds
 * no error in that project. They import 'parallel-prefork-ipc' by name, as
 * users do, which resolves through package.json "exports" to dist/: so the
 * declarations checked are the ones that ship. Run in-process with the
 * compiler API (no child process).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const PROJECT = path.join(__dirname, 'types', 'tsconfig.json');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(file));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

const host: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (file) => file,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => '\n',
};

test('the built declarations are not older than lib/ (run `npm run build`)', () => {
  const declarations = path.join(ROOT, 'dist', 'index.d.ts');
  expect(fs.existsSync(declarations)).toBe(true);
  expect(fs.statSync(declarations).mtimeMs).toBeGreaterThanOrEqual(newestMtime(path.join(ROOT, 'lib')) - 1000);
});

test('tsc --noEmit -p spec/types finds no error', () => {
  const config = ts.getParsedCommandLineOfConfigFile(PROJECT, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.formatDiagnostic(d, host)); } });
  expect(config).toBeDefined();
  const program = ts.createProgram({ rootNames: config!.fileNames, options: config!.options, projectReferences: config!.projectReferences });

  // Not vacuous: every test file is in, and the package name resolved to the built declarations.
  const testFiles = config!.fileNames.map((file) => path.basename(file)).sort();
  expect(testFiles).toEqual(['callbacks.ts', 'esm.mts', 'helpers.ts', 'hooks.ts', 'view.ts']);
  const sources = program.getSourceFiles().map((file) => path.relative(ROOT, file.fileName));
  expect(sources).toEqual(expect.arrayContaining([path.join('dist', 'index.d.ts'), path.join('dist', 'index.d.mts')]));

  const diagnostics = [...config!.errors, ...ts.getPreEmitDiagnostics(program)];
  if (diagnostics.length > 0) {
    // Printed in full, so that a failure says which line of which type test broke.
    console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  }
  expect(diagnostics.map((d) => ts.formatDiagnostic(d, host))).toEqual([]);
});
