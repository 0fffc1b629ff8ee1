/**
 * What a ts-node manager hands its children: the environment variable that
 * carries the set-up, and the shapes of that set-up and of the compiled-module
 * cache. A leaf of its own: the manager cannot import ts-child-preload.ts
 * (loading it has effects), and both sides must agree on these.
 */
export const TS_CHILD_ENV = 'PARALLEL_PREFORK_IPC_TS_CHILD';

/** What the manager passes in the environment variable TS_CHILD_ENV (see ts-node-children.ts). */
export interface TsChildConfig {
  /** JSON file of compiled modules, written by the manager. */
  cache: string;
  /** ts-node's main module, for modules the cache does not have. */
  tsNode: string;
  /** Options for ts-node's register(), used only for those modules. */
  register: Record<string, unknown>;
  /** Extensions ts-node registered in the manager (e.g. .ts, .tsx). */
  extensions: string[];
  /** Extensions ts-node compiles through the .js handler (e.g. .cts, .mts). */
  viaJs: string[];
  /** Modules ts-node preloaded in the manager (its --require and tsconfig "require"). */
  preload: string[];
}

export interface CachedModule {
  mtimeMs: number;
  size: number;
  code: string;
}
