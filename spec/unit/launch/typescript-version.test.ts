import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { typescriptProblem } from '../../../lib/launch/typescript-version';

/** A project directory whose node_modules holds a typescript package of `version`. */
function project(version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-ts-'));
  mkdirSync(path.join(dir, 'node_modules', 'typescript'), { recursive: true });
  writeFileSync(path.join(dir, 'node_modules', 'typescript', 'package.json'), JSON.stringify({ name: 'typescript', version }));
  return dir;
}

test('TypeScript 7 (what `npm i ts-node typescript` installs): the problem names the version, where it is, and what to install', () => {
  const dir = project('7.0.2');
  expect(typescriptProblem([dir])).toBe(
    `ts-node cannot run TypeScript 7.0.2 (${path.join(dir, 'node_modules', 'typescript')}): TypeScript 7 has no JavaScript compiler API for it to call. ` +
      'Install TypeScript 5 (npm i -D typescript@5), or run compiled JavaScript (tsc, then node) or tsx, which need no compiler API (docs/running.md)',
  );
});

test.each(['5.9.3', '4.9.5'])('TypeScript %s is fine', (version) => {
  expect(typescriptProblem([project(version)])).toBeUndefined();
});

test('no TypeScript to be found, or an unreadable version: nothing to say', () => {
  expect(typescriptProblem([mkdtempSync(path.join(tmpdir(), 'prefork-ipc-ts-none-'))])).toBeUndefined();
  expect(typescriptProblem([project('next')])).toBeUndefined();
});
