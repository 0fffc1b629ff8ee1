/**
 * ts-node 10 cannot run TypeScript 7: TypeScript 7's package (the native
 * compiler) has no JavaScript compiler API, so ts-node dies on its first use
 * of it (`TypeError: Cannot read properties of undefined (reading
 * 'fileExists')`, from `ts.sys`), saying nothing of versions. And `npm i
 * ts-node typescript` installs TypeScript 7. This finds the TypeScript a
 * ts-node would load and says, in words, what to install instead.
 *
 * A leaf: Node built-ins only, so ts-child-preload.js can use it in a child
 * before anything else is loaded.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The newest TypeScript major that ts-node 10 can run. */
export const LAST_TYPESCRIPT_FOR_TS_NODE = 5;

/**
 * Why ts-node cannot run the TypeScript it finds from `paths` (the first that
 * has one), or undefined when it can or when there is none to look at.
 */
export function typescriptProblem(paths: readonly string[]): string | undefined {
  let file: string;
  let version: unknown;
  try {
    file = require.resolve('typescript/package.json', { paths: [...paths] });
    version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
  } catch {
    return undefined;
  }
  const major = typeof version === 'string' ? Number(version.split('.')[0]) : NaN;
  if (!(major > LAST_TYPESCRIPT_FOR_TS_NODE)) return undefined;
  return (
    `ts-node cannot run TypeScript ${String(version)} (${path.dirname(file)}): TypeScript ${major} has no JavaScript compiler API for it to call. ` +
    `Install TypeScript ${LAST_TYPESCRIPT_FOR_TS_NODE} (npm i -D typescript@${LAST_TYPESCRIPT_FOR_TS_NODE}), ` +
    'or run compiled JavaScript (tsc, then node) or tsx, which need no compiler API (docs/running.md)'
  );
}
