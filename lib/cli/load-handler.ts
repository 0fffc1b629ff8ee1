import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobHandler } from './handler-types';

const TYPESCRIPT = /\.[cm]?ts$/;
const LOADABLE = /\.([cm]?js|[cm]?ts)$/;

/** Why `file` cannot be a handler, checked before any worker starts; undefined when it may be. */
export function checkHandlerPath(file: string): string | undefined {
  if (!LOADABLE.test(file)) return `HANDLER must be a .js, .cjs, .mjs, .ts, .cts or .mts file, got ${JSON.stringify(file)}`;
  if (!existsSync(file)) return `HANDLER ${JSON.stringify(file)} does not exist`;
  return undefined;
}

// tsc turns `import()` into `require()` under CommonJS; this keeps a real import() for .mjs handlers.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string, no input: a real import(), which tsc (module: commonjs) would turn into require()
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

let typescriptReady = false;

/**
 * Makes `require()` understand TypeScript, through tsx (esbuild: about 25 ms per
 * worker here, against about 180 ms for ts-node in transpile-only mode).
 * Resolved from the handler's directory first, so the user's own tsx is used.
 */
function enableTypeScript(file: string): void {
  if (typescriptReady) return;
  let api: string;
  try {
    api = require.resolve('tsx/cjs/api', { paths: [path.dirname(file), process.cwd(), __dirname] });
  } catch {
    throw new Error(`${file} is TypeScript, and running it needs tsx: npm install --save-dev tsx (or compile the handler to .js)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- api is a path resolved at run time
  (require(api) as { register(): unknown }).register();
  typescriptReady = true;
}

function pickDefault(loaded: unknown): unknown {
  if (typeof loaded === 'function') return loaded; // module.exports = fn
  const outer = (loaded as { default?: unknown } | null)?.default;
  if (typeof outer === 'function') return outer; // export default fn
  const inner = (outer as { default?: unknown } | null | undefined)?.default;
  return inner; // a CommonJS module compiled from `export default`, loaded through import()
}

/** Loads the handler module in a worker and returns its default export. */
export async function loadHandler(file: string): Promise<JobHandler> {
  const absolute = path.resolve(file);
  let loaded: unknown;
  if (TYPESCRIPT.test(absolute)) {
    enableTypeScript(absolute);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's handler, a path known at run time
    loaded = require(absolute);
  } else if (absolute.endsWith('.mjs')) {
    loaded = await importModule(pathToFileURL(absolute).href);
  } else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's handler, a path known at run time
      loaded = require(absolute);
    } catch (err) {
      // A .js file in a "type": "module" package is ESM.
      if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
      loaded = await importModule(pathToFileURL(absolute).href);
    }
  }
  const handler = pickDefault(loaded);
  if (typeof handler !== 'function') {
    throw new Error(`${file} has no default export that is a function (it must export default async (job, ctx) => result)`);
  }
  return handler as JobHandler;
}
