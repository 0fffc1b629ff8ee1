/**
 * Preloaded (`node -r`) into a child of a ts-node manager: serves the child's
 * TypeScript modules from what the manager already compiled, so the child
 * loads no TypeScript compiler at all. A module the manager did not compile
 * (or that changed on disk since) is compiled by ts-node, registered on first
 * need in transpile-only mode with the manager's project settings.
 *
 * This file runs before the user's script: it uses only Node built-ins (and
 * the leaves ts-child-config.ts, which holds only a name and types, and
 * typescript-version.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { TS_CHILD_ENV, type CachedModule, type TsChildConfig } from './ts-child-config';
import { typescriptProblem } from './typescript-version';

type Handler = (module: Module, filename: string) => void;
type CompilableModule = Module & { _compile(code: string, filename: string): unknown };
const extensions = (Module as unknown as { _extensions: Record<string, Handler> })._extensions;

function readCache(file: string): Map<string, CachedModule> {
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, CachedModule>));
  } catch {
    return new Map(); // the manager is gone and took its cache along: compile everything
  }
}

function fresh(filename: string, entry: CachedModule): boolean {
  try {
    const stat = statSync(filename);
    return stat.mtimeMs === entry.mtimeMs && stat.size === entry.size;
  } catch {
    return false;
  }
}

export function install(config: TsChildConfig): void {
  const cache = readCache(config.cache);
  const native: Record<string, Handler | undefined> = {};
  for (const ext of [...config.extensions, '.js']) native[ext] = extensions[ext];
  let compilerHandlers: Record<string, Handler> | undefined;

  /** Registers ts-node (once) and returns its handlers, each falling back to Node's own. */
  const compiler = (): Record<string, Handler> => {
    if (compilerHandlers) return compilerHandlers;
    // Put Node's handlers back first, so that ts-node wraps them and not ours.
    for (const [ext, handler] of Object.entries(native)) {
      if (handler) extensions[ext] = handler;
      else delete extensions[ext];
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the path of ts-node that the manager resolved, loaded only when a file is not in the cache
      (require(config.tsNode) as { register(options: Record<string, unknown>): unknown }).register(config.register);
    } catch (err) {
      // ts-node's own error for TypeScript 7 is a TypeError about `fileExists`: say what to install.
      const problem = typescriptProblem([process.cwd(), path.dirname(config.tsNode)]);
      if (problem) throw new Error(`this child needs ts-node to compile a module the manager had not compiled, and ${problem}`, { cause: err });
      throw err;
    }
    compilerHandlers = {};
    for (const ext of Object.keys(native)) compilerHandlers[ext] = extensions[ext];
    hook();
    return compilerHandlers;
  };

  const load = (ext: string): Handler => (module, filename) => {
    const entry = cache.get(filename);
    if (entry && fresh(filename, entry)) {
      (module as CompilableModule)._compile(entry.code, filename);
      return;
    }
    compiler()[ext](module, filename);
  };

  const hook = (): void => {
    for (const ext of config.extensions) extensions[ext] = load(ext);
    const js = load('.js');
    const nativeJs = compilerHandlers?.['.js'] ?? native['.js']!;
    extensions['.js'] = (module, filename) => {
      if (config.viaJs.includes(path.extname(filename))) js(module, filename);
      else nativeJs(module, filename);
    };
  };

  // The compiled code carries inline source maps: stack traces point into the .ts files.
  process.setSourceMapsEnabled(true);
  hook();
  if (config.register.preferTsExts === true) {
    // As ts-node does: resolve `./name` to name.ts before name.js by moving the other extensions last.
    for (const ext of Object.keys(extensions)) {
      if (config.extensions.includes(ext)) continue;
      const handler = Object.getOwnPropertyDescriptor(extensions, ext)!;
      delete extensions[ext];
      Object.defineProperty(extensions, ext, handler);
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the modules ts-node's `require` option names, known at run time
  for (const id of config.preload) require(id);
}

const raw = process.env[TS_CHILD_ENV];
if (raw !== undefined) install(JSON.parse(raw) as TsChildConfig);
