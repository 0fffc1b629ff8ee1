/**
 * Fast children for a manager run by ts-node.
 *
 * Every child re-executes the manager's script, and ts-node would compile
 * (and, by default, type-check) the same files again in each one: seconds of
 * CPU per child for an answer the manager already has. So:
 *
 * 1. Best: the child runs under plain node with ts-child-preload.js, which
 *    serves the modules the manager compiled from a cache file the manager
 *    writes, and loads no TypeScript compiler unless the child needs a
 *    module the manager never loaded.
 * 2. When that cannot be used (the manager runs from the TypeScript sources
 *    of this library, an ESM loader is in play, allowJs), a type-checking
 *    manager's children run ts-node in transpile-only mode, with swc when
 *    @swc/core (or @swc/wasm) can be found.
 *
 * Either way every other node flag, NODE_OPTIONS, the working directory and
 * the arguments are kept.
 */
import path from 'node:path';
import { compiledCache } from './compiled-cache';
import { tsNodeService, type TsNodeService } from './ts-node-service';
import { TS_CHILD_ENV, type TsChildConfig } from './ts-child-config';
import { typescriptProblem } from './typescript-version';

const PRELOAD = path.join(__dirname, 'ts-child-preload.js');
/** Flags that bring in ESM loader hooks: ts-child-preload only serves require(). */
const ESM_LOADER_FLAGS = /^(--import|--loader|--experimental-loader)(=|$)/;

export interface ChildFlags {
  flags: string[];
  env: Record<string, string | undefined>;
}

/** ts-node's CLI entry, which ts-node 10 puts into process.execArgv followed by its own flags. */
const TS_NODE_BIN = /[\\/]ts-node[\\/]dist[\\/]bin(-[a-z-]+)?\.js$/;
/** Flags of ts-node's CLI that ask for type checking. */
const TYPE_CHECK_FLAGS = /^(--type-check|--typeCheck)$/;
/** `-r ts-node/register` (also /index, /type-check, /transpile-only), as a node flag or in NODE_OPTIONS. */
const REGISTER_MODULE = /^ts-node\/register(\/(index|type-check|transpile-only)(\.js)?)?$/;
const REQUIRE_FLAG = /^(-r|--require)$/;

/** Asked once per ts-node service: the answer does not change while the manager runs, and every spawn asks. */
const swcFound = new WeakMap<TsNodeService, boolean>();

/** Whether ts-node can find swc from the project (and the user named no transpiler of their own). */
function canUseSwc(service: TsNodeService): boolean {
  let found = swcFound.get(service);
  if (found === undefined) {
    found = service.options?.transpiler === undefined && ['@swc/core', '@swc/wasm'].some((swc) => resolves(service, swc));
    swcFound.set(service, found);
  }
  return found;
}

function resolves(service: TsNodeService, name: string): boolean {
  try {
    service.projectLocalResolveHelper?.(name, true);
    return true;
  } catch {
    return false; // not installed where ts-node looks
  }
}

/** The flags that make ts-node skip type checking: swc when ts-node can find it, else TypeScript's own transpiler. */
function transpileOnlyFlags(service: TsNodeService): string[] {
  return canUseSwc(service) ? ['--transpile-only', '--swc'] : ['--transpile-only'];
}

/** Looked up on the first spawn only (see tsNodeBin). */
let tsNodeBinFound: { path: string | undefined } | undefined;

/**
 * The CLI of the ts-node this process loaded (found among the loaded modules),
 * or else of the one `-r ts-node/register` finds from the working directory.
 */
function tsNodeBin(): string | undefined {
  tsNodeBinFound ??= { path: findTsNodeBin() };
  return tsNodeBinFound.path;
}

function findTsNodeBin(): string | undefined {
  for (const file of Object.keys(require.cache)) {
    const match = /^(.*[\\/]ts-node)[\\/]dist[\\/]index\.js$/.exec(file);
    if (match) return path.join(match[1], 'dist', 'bin.js');
  }
  try {
    return require.resolve('ts-node/dist/bin.js', { paths: [process.cwd()] });
  } catch {
    return undefined;
  }
}

/** Removes `-r ts-node/register` from a list of node flags; tells whether it was there. */
function withoutRegister(flags: string[]): { flags: string[]; found: boolean } {
  const kept: string[] = [];
  let found = false;
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    const inline = /^--require=(.*)$/.exec(flag) ?? /^-r(.+)$/.exec(flag);
    if (REQUIRE_FLAG.test(flag) && REGISTER_MODULE.test(flags[i + 1] ?? '')) {
      found = true;
      i++;
    } else if (inline && REGISTER_MODULE.test(inline[1])) {
      found = true;
    } else {
      kept.push(flag);
    }
  }
  return { flags: kept, found };
}

/**
 * How the child can be served from the manager's compiled modules: the node
 * flags and environment for plain node with ts-child-preload.js, or
 * undefined when that cannot work here.
 */
function servedChild(service: TsNodeService, nodeFlags: string[], nodeOptions: string[]): ChildFlags | undefined {
  if (!__filename.endsWith('.js')) return undefined; // this library runs from its .ts sources: no preload to give
  if ([...nodeFlags, ...nodeOptions].some((flag) => ESM_LOADER_FLAGS.test(flag))) return undefined;
  const compiled = service.extensions?.compiled ?? [];
  if (compiled.length === 0 || compiled.some((ext) => ext === '.js' || ext === '.jsx')) return undefined; // allowJs
  const tsNode = tsNodeBin();
  const cacheFile = compiledCache.update(service, compiled);
  if (!tsNode || !cacheFile) return undefined;
  const options = service.options ?? {};
  const config: TsChildConfig = {
    cache: cacheFile,
    tsNode: path.join(path.dirname(tsNode), 'index.js'),
    register: {
      ...(service.configFilePath ? { project: service.configFilePath } : { skipProject: true }),
      compilerOptions: options.compilerOptions,
      ignore: options.ignore,
      skipIgnore: options.skipIgnore,
      preferTsExts: options.preferTsExts,
      transpileOnly: true,
      ...(typeof options.transpiler === 'string' ? { transpiler: options.transpiler } : canUseSwc(service) ? { swc: true } : {}),
    },
    extensions: compiled.filter((ext) => Object.prototype.hasOwnProperty.call(require.extensions, ext)),
    viaJs: compiled.filter((ext) => !Object.prototype.hasOwnProperty.call(require.extensions, ext)),
    preload: resolvePreloads(options.require ?? [], service.configFilePath),
  };
  return { flags: [...nodeFlags, '-r', PRELOAD], env: { [TS_CHILD_ENV]: JSON.stringify(config) } };
}

/** ts-node's own preloads (its --require flag, tsconfig "require"), as paths the child can require. */
function resolvePreloads(ids: string[], configFile: string | undefined): string[] {
  const from = [configFile ? path.dirname(configFile) : process.cwd(), process.cwd()];
  return ids.map((id) => {
    try {
      return require.resolve(id, { paths: from });
    } catch {
      return id;
    }
  });
}

/**
 * The node flags (and environment changes) for a child of this process, given
 * the flags it would otherwise copy. Unchanged unless ts-node runs this process
 * from its CLI or from `-r ts-node/register`.
 */
export function fastTypeScriptChild(flags: string[], env: NodeJS.ProcessEnv): ChildFlags {
  const service = tsNodeService();
  if (!service) return { flags, env: {} };

  // `ts-node script.ts`: execArgv ends with ts-node's bin.js and its flags.
  // `node -r ts-node/register script.ts`: the flag is in execArgv or NODE_OPTIONS.
  const bin = flags.findIndex((flag) => TS_NODE_BIN.test(flag));
  const cli = withoutRegister(flags);
  const nodeOptions = withoutRegister(splitNodeOptions(env.NODE_OPTIONS ?? ''));
  if (bin < 0 && !cli.found && !nodeOptions.found) return { flags, env: {} }; // registered some other way
  const envChanges: ChildFlags['env'] = {};
  if (nodeOptions.found) envChanges.NODE_OPTIONS = nodeOptions.flags.join(' ') || undefined;

  const served = servedChild(service, bin >= 0 ? flags.slice(0, bin) : cli.flags, nodeOptions.flags);
  if (served) return { flags: served.flags, env: { ...envChanges, ...served.env } };
  if (service.transpileOnly !== false) return { flags, env: {} };
  const fast = transpileOnlyFlags(service);

  if (bin >= 0) {
    const tsNodeFlags = flags.slice(bin + 1).filter((flag) => !TYPE_CHECK_FLAGS.test(flag));
    return { flags: [...flags.slice(0, bin + 1), ...fast, ...tsNodeFlags], env: {} };
  }
  // Run the child through ts-node's CLI, which takes the transpile-only flags.
  // --cwd-mode keeps register's way of finding tsconfig.json (from the working
  // directory, not from the script's).
  const binPath = tsNodeBin();
  if (!binPath) return { flags, env: {} };
  return { flags: [...cli.flags, binPath, ...fast, '--cwd-mode'], env: envChanges };
}

/**
 * Under ts-node: why the children's ts-node could not run (the TypeScript it would load is one
 * ts-node cannot run, e.g. TypeScript 7 installed since this manager started), else undefined.
 * Read from disk at each start(): a resolve and a 1 KB read.
 */
export function tsNodeChildProblem(): string | undefined {
  if (!tsNodeService()) return undefined;
  const bin = tsNodeBin();
  return typescriptProblem([process.cwd(), ...(bin ? [path.dirname(bin)] : [])]);
}

/** NODE_OPTIONS split at spaces; quoted values stay whole (with their quotes, as NODE_OPTIONS wants them). */
function splitNodeOptions(value: string): string[] {
  return value.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}
