/**
 * The ts-node instance this process runs under, if any, as far as the
 * launcher needs to know it: how it compiles, and its compile function for
 * the compiled-module cache.
 */

/** What ts-node leaves on `process` when it is registered (ts-node's REGISTER_INSTANCE). */
const TS_NODE_INSTANCE = Symbol.for('ts-node.register.instance');

/** The parts of ts-node's service that tell how it compiles. */
export interface TsNodeService {
  transpileOnly?: boolean;
  options?: {
    transpiler?: unknown;
    typeCheck?: boolean;
    compilerOptions?: object;
    ignore?: string[];
    skipIgnore?: boolean;
    preferTsExts?: boolean;
    require?: string[];
  };
  configFilePath?: string;
  extensions?: { compiled?: string[] };
  compile?: (code: string, fileName: string) => string;
  ignored?: (fileName: string) => boolean;
  projectLocalResolveHelper?: (name: string, fallbackToTsNodeRelative: boolean) => string;
}

/** The ts-node service registered in this process, or undefined. */
export function tsNodeService(): TsNodeService | undefined {
  const service = (process as NodeJS.Process & { [TS_NODE_INSTANCE]?: TsNodeService })[TS_NODE_INSTANCE];
  return typeof service === 'object' && service !== null ? service : undefined;
}
